"""Shared by the benchmarks: a real server on a free port, timings, bench/RESULTS.md."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"Refusing to manage a database named {name!r}.")
    return name


@contextlib.contextmanager
def step(label: str) -> Iterator[None]:
    print(f"  {label} ...", end="", flush=True)
    started = time.perf_counter()
    yield
    print(f" {time.perf_counter() - started:.1f}s", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server(
    command: Sequence[str], env: Mapping[str, str], port: int, log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command` (a server on `port`), wait until /healthz answers, stop it after."""
    print(f"Server: {' '.join(command[1:])} (log: {log_path})")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command), cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"The server exited ({process.returncode}); see {log_path}.")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"The server did not answer within 60s; see {log_path}.")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        pending += children.get(current, [])
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


@dataclass
class PageResult:
    label: str
    status: int = 0
    samples: list[float] = field(default_factory=list)
    error: str = ""

    def percentile(self, p: float) -> float:
        ordered = sorted(self.samples)
        rank = (len(ordered) - 1) * p / 100
        low = int(rank)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


RESULTS_HEADER = """# Benchmark results

Each benchmark writes its own section below (between its begin/end markers) and leaves the
others alone. Machines are shared and noisy: compare each page with the baseline measured in
the same run (the ratio columns), not absolute numbers across runs.
"""


def section_markers(name: str) -> tuple[str, str]:
    """The comments that delimit one benchmark's section of RESULTS.md."""
    return f"<!-- {name}: begin -->", f"<!-- {name}: end -->"


def results_write(path: Path, section: str, name: str) -> None:
    """Replace benchmark `name`'s section of RESULTS.md (or append it), leaving the rest."""
    begin, end = section_markers(name)
    text = path.read_text() if path.exists() else RESULTS_HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def postgres_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]).split()[0] if row else "?"
