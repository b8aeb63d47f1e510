"""The kill -9 harness's supervisor (crash_harness.py runs the children it supervises).

`Supervisor` keeps one child of a role running through crash_harness.py's zygote, restarts it
whenever it dies, SIGKILLs it at random moments and counts how each end came.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from storedesk.mail.tests import crash_harness
from storedesk.mail.tests.crash_harness import (
    CRASH_MARK,
    CRASH_RATE_ENV,
    CRASH_SEED_ENV,
    READY_FILE_ENV,
)


@dataclass
class KillCounts:
    external: int = 0
    points: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.external + sum(self.points.values())


class Supervisor:
    """Keeps one child running and SIGKILLs it at random moments.

    A kill comes once `progress()` (seconds, messages delivered, messages processed) has
    advanced by a random amount in `kill_every` since the child was ready: counting work
    rather than seconds keeps the number of kills per message the same on a fast machine and
    on a loaded one, while the moment within the work in flight stays random.

    Ends of the child are classified: our SIGKILL, a crash point's SIGKILL (its stderr says
    which point), or a failure (any other end while not stopping), which the test reports.
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str],
        workdir: Path,
        seed: int,
        progress: Callable[[], float],
        kill_every: tuple[float, float],
    ) -> None:
        self.name, self.argv, self.env, self.workdir = name, argv, env, workdir
        self.random = random.Random(seed)  # noqa: S311  (fault injection, not security)
        self.progress, self.kill_every = progress, kill_every
        self.counts = KillCounts()
        self.starts = 0
        self._stop = threading.Event()
        self._calm = threading.Event()
        self._zygote: subprocess.Popen[str] | None = None
        self._thread = threading.Thread(target=self._run, name=f"supervise-{name}", daemon=True)

    def start(self) -> None:
        self._zygote = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
            [sys.executable, "-m", crash_harness.__name__, "zygote"],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._thread.start()

    def calm(self) -> None:
        """No more kills: the running child is killed once more, the next one runs in peace."""
        self._calm.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)
        if self._zygote is not None:
            self._zygote.communicate(timeout=30)  # closes its stdin: it exits

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                calm = self._calm.is_set()
                pid, ready, stderr_path = self._spawn(calm)
                killed_by_us = self._watch(pid, ready, calm)
                if not killed_by_us:
                    self._classify(stderr_path)
        except Exception as exc:  # the test must see it, not wait for its timeout
            self.counts.failures.append(f"{self.name} supervisor failed: {exc!r}")

    def _spawn(self, calm: bool) -> tuple[int, Path, Path]:
        assert self._zygote is not None
        assert self._zygote.stdin is not None
        assert self._zygote.stdout is not None
        self.starts += 1
        ready = self.workdir / f"{self.name}-{self.starts}.ready"
        stderr_path = self.workdir / f"{self.name}-{self.starts}.err"
        env = {
            READY_FILE_ENV: str(ready),
            CRASH_SEED_ENV: str(self.random.randrange(2**31)),
        }
        if calm:
            env[CRASH_RATE_ENV] = "0"
        order = {"argv": self.argv, "env": env, "stderr": str(stderr_path)}
        self._zygote.stdin.write(json.dumps(order) + "\n")
        self._zygote.stdin.flush()
        return int(self._zygote.stdout.readline()), ready, stderr_path

    def _watch(self, pid: int, ready: Path, calm: bool) -> bool:
        deadline: float | None = None
        while _alive(pid):
            now = self.progress()
            if self._stop.is_set():
                _terminate(pid)
                return True
            if deadline is None and ready.exists() and not calm:
                deadline = now + self.random.uniform(*self.kill_every)
            if self._calm.is_set() and not calm:
                deadline = now  # restart in calm mode
            if deadline is not None and now >= deadline:
                if not _signal(pid, signal.SIGKILL):
                    return False  # it died at one of its own crash points a moment ago
                self.counts.external += 1
                while _alive(pid):
                    time.sleep(0.005)
                return True
            time.sleep(0.02)
        return False

    def _classify(self, stderr_path: Path) -> None:
        text = stderr_path.read_text(errors="replace")
        lines = text.splitlines()
        marks = [line[len(CRASH_MARK) :] for line in lines if line.startswith(CRASH_MARK)]
        if marks:
            self.counts.points[marks[-1]] = self.counts.points.get(marks[-1], 0) + 1
        else:
            self.counts.failures.append(f"{self.name} ended by itself: {text[-3000:]}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _signal(pid: int, signum: int) -> bool:
    """False when the process is already gone: it may exit between a check and a kill."""
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        return False
    return True


def _terminate(pid: int) -> None:
    """SIGTERM, as a service manager stops a process; SIGKILL if it does not stop in time."""
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while _alive(pid):
        if time.monotonic() > deadline:
            _signal(pid, signal.SIGKILL)
        time.sleep(0.02)
