"""Email intake benchmark: a realistic corpus through the full intake, SQLite and PostgreSQL.

    python bench/ingest.py                                  # 20,000 messages, both backends
    python bench/ingest.py --messages 5000 --backends sqlite
    python bench/ingest.py --messages 2000 --backends sqlite --profile   # cProfile, no RESULTS
    python bench/ingest.py --path single --messages 2000   # the SMTP receiver's path

Steps:

1. Generate the corpus (bench/ingest_corpus.py, seeded: the same bytes every run): four
   languages in their usual charsets, quoted-printable, base64 and 8-bit bodies, a third
   with an HTML alternative, 2% with an attachment up to 2 MB, 20% replies to earlier mail.
2. For each backend, in a fresh process on a fresh database (SQLite in a temporary
   directory; PostgreSQL `storedesk_ingest_bench`, dropped and created): migrate, make a
   brand, a team and three email inboxes with their addresses through the ORM; then time
   (a) the baseline, `email.message_from_bytes(raw, policy=email.policy.default)` plus the
   decoded Subject and From and the body text, over the whole corpus; (b) the full intake
   in one process, by default the way the IMAP fetcher and the importer run it:
   `raw_emails_take_in(...)` (source IMAP, so acknowledgements are queued) on batches of
   `--batch` messages, one transaction per batch; with `--path single` the SMTP receiver's
   way, `raw_email_receive(...)` (its own commit) then `raw_email_process(...)` per
   message. Tasks go to the default backend, django_tasks_db's, as under `make run`: the
   tasks the intake enqueues on commit (outbox sends, which compose the acknowledgements)
   are written as task rows in the same database, and no worker runs them.
3. Report messages per second, latency p50/p95/p99 (per batch, or per message for
   `--path single`), the intake/baseline ratio in wall-clock and in this process's CPU
   time, SQL statements per message and the rows written; write them to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import cProfile
import email
import email.policy
import gc
import json
import os
import pickle
import platform
import pstats
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from harness import (
    ROOT,
    PageResult,
    database_name,
    postgres_version,
    results_write,
    section_markers,
    step,
    with_database,
)
from ingest_corpus import CorpusMessage, corpus_make
from ingest_rows import reference_data_create, row_counts
from psycopg import sql

RESULTS_NAME = "bench/ingest.py"
RESULTS_PATH = ROOT / "bench" / "RESULTS.md"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storedesk_ingest_bench"
BACKENDS = ("sqlite", "postgres")
PROGRESS_EVERY = 1000  # print the rate of each chunk of this many messages
TARGET_RATE = 500  # messages/s through the full intake on SQLite, one process
PATHS = ("batch", "single")


@dataclass(frozen=True)
class Options:
    messages: int
    backends: list[str]
    database_url: str
    profile: bool
    results: Path
    command: str
    path: str
    batch: int


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgres")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--profile", action="store_true",
        help="run the intake under cProfile and print the top functions (RESULTS untouched)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS_PATH)
    parser.add_argument(
        "--path", choices=PATHS, default="batch",
        help="batch: raw_emails_take_in (IMAP, import); single: raw_email_receive + process",
    )
    parser.add_argument("--batch", type=int, default=100, help="messages per batch")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or any(b not in BACKENDS for b in backends):
        parser.error(f"--backends: a comma-separated subset of {','.join(BACKENDS)}")
    if args.messages < 10 or args.batch < 1:
        parser.error("--messages: at least 10; --batch: at least 1")
    database_name(args.database_url)  # refuses odd names before anything is dropped
    return Options(
        messages=args.messages, backends=backends, database_url=args.database_url,
        profile=args.profile, results=args.results,
        command=" ".join(["python", "bench/ingest.py", *argv]),
        path=args.path, batch=args.batch,
    )


# --- The measurement, in a child process per backend ----------------------------------------


def django_setup(database_url: str, workdir: Path) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storedesk.settings")
    os.environ["STOREDESK_MODE"] = "development"
    os.environ["STOREDESK_DEBUG"] = "false"
    os.environ["STOREDESK_SECRET_KEY"] = secrets.token_urlsafe(40)
    os.environ["STOREDESK_LOG_LEVEL"] = "WARNING"
    os.environ.pop("STOREDESK_TASK_BACKEND", None)  # the database backend, as deployed
    os.environ["STOREDESK_VAR_DIR"] = str(workdir / "var")
    os.environ["STOREDESK_MEDIA_ROOT"] = str(workdir / "media")
    os.environ.pop("EMAIL_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def postgres_recreate(url: str) -> None:
    name = database_name(url)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def baseline_parse(raw: bytes) -> int:
    """What the issue calls the baseline: stdlib parse, Subject, From and the body text."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    subject = str(message["subject"] or "")
    sender = str(message["from"] or "")
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    return len(subject) + len(sender) + len(text)


def timed(samples: list[float], started: float) -> None:
    samples.append((time.perf_counter() - started) * 1000)


def child_run(backend: str, corpus_path: Path, out_path: Path, url: str, args: list[str]) -> None:
    profile, path, batch = args[0] == "1", args[1], int(args[2])
    workdir = corpus_path.parent / backend
    workdir.mkdir()
    if backend == "postgres":
        postgres_recreate(url)
        database_url = url
    else:
        database_url = f"sqlite:///{workdir / 'ingest.sqlite3'}"
    django_setup(database_url, workdir)
    from django.core.management import call_command
    from django.db import connection

    with corpus_path.open("rb") as handle:
        corpus: list[CorpusMessage] = pickle.load(handle)  # noqa: S301 (our own temp file)
    print(f"[{backend}] {len(corpus):,} messages")
    with step(f"[{backend}] migrate"):
        call_command("migrate", verbosity=0)
    reference_data_create()

    baseline = PageResult("baseline")
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    with step(f"[{backend}] baseline: message_from_bytes(policy.default) + subject/from/body"):
        for message in corpus:
            begin = time.perf_counter()
            baseline_parse(message.raw)
            timed(baseline.samples, begin)
    baseline_seconds = time.perf_counter() - started
    baseline_cpu = time.process_time() - cpu_started

    intake = PageResult("intake")
    profiler = cProfile.Profile() if profile else None
    statements = StatementCounter(by_kind=profile)
    gc.collect()
    label = (
        f"raw_emails_take_in, batches of {batch}" if path == "batch"
        else "raw_email_receive + raw_email_process"
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    with step(f"[{backend}] full intake: {label}"), connection.execute_wrapper(statements):
        if profiler is not None:
            profiler.enable()
        if path == "batch":
            intake_batches(corpus, batch, intake)
        else:
            intake_single(corpus, intake)
        if profiler is not None:
            profiler.disable()
    intake_seconds = time.perf_counter() - started
    intake_cpu = time.process_time() - cpu_started

    if profiler is not None:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("cumulative").print_stats(r"storedesk/|email/|asgiref", 45)
        stats.sort_stats("tottime").print_stats(35)
        print("Statements per message by kind:")
        for kind, n in statements.kinds.most_common(30):
            print(f"  {n / len(corpus):6.2f}  {kind}")

    rows = row_counts()
    version = postgres_version(url) if backend == "postgres" else _sqlite_version()
    connection.close()
    out_path.write_text(json.dumps({
        "backend": backend,
        "version": version,
        "baseline_seconds": baseline_seconds,
        "intake_seconds": intake_seconds,
        "baseline_cpu": baseline_cpu,
        "intake_cpu": intake_cpu,
        "baseline": _percentiles(baseline),
        "intake": _percentiles(intake),
        "statements_per_message": statements.total / len(corpus),
        "rows": rows,
    }))


_STATEMENT_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.I)


class StatementCounter:
    """A connection.execute_wrapper counting the SQL statements the intake sends; by kind
    only when `by_kind` (a regex per statement the timed runs should not pay for)."""

    def __init__(self, *, by_kind: bool) -> None:
        self.total = 0
        self.by_kind = by_kind
        self.kinds: Counter[str] = Counter()

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.total += 1
        if not self.by_kind:
            return execute(sql, params, many, context)
        match = _STATEMENT_TABLE.search(sql)
        verb = sql.split(None, 1)[0].upper() if sql.strip() else "?"
        self.kinds[f"{verb} {match.group(1) if match else ''}".strip()] += 1
        return execute(sql, params, many, context)


def intake_batches(corpus: list[CorpusMessage], size: int, intake: PageResult) -> None:
    """The IMAP fetcher's and importer's way: one transaction per batch."""
    from storedesk.mail.enums import IntakeSource
    from storedesk.mail.intake_batch import InboundMail, raw_emails_take_in

    done = 0
    chunk_started = time.perf_counter()
    for start in range(0, len(corpus), size):
        chunk = corpus[start : start + size]
        begin = time.perf_counter()
        raw_emails_take_in(
            mails=[InboundMail(m.raw, [m.to], m.envelope_from) for m in chunk],
            source=IntakeSource.IMAP,
        )
        timed(intake.samples, begin)
        done += len(chunk)
        if done % PROGRESS_EVERY < size:
            now = time.perf_counter()
            print(f" {done:,}: {PROGRESS_EVERY / (now - chunk_started):,.0f}/s", end="", flush=True)
            chunk_started = now


def intake_single(corpus: list[CorpusMessage], intake: PageResult) -> None:
    """The SMTP receiver's way: each mail committed on its own, then processed."""
    from storedesk.conversations.search_index import search_index_catch_up
    from storedesk.mail.enums import IntakeSource
    from storedesk.mail.intake import raw_email_process
    from storedesk.mail.intake_store import raw_email_receive

    for message in corpus:
        begin = time.perf_counter()
        raw_email = raw_email_receive(
            raw=message.raw, source=IntakeSource.SMTP, recipients=[message.to],
            envelope_from=message.envelope_from,
        )
        raw_email_process(raw_email=raw_email)
        timed(intake.samples, begin)
        done = len(intake.samples)
        if done % PROGRESS_EVERY == 0:
            chunk = sum(intake.samples[-PROGRESS_EVERY:]) / 1000
            print(f" {done:,}: {PROGRESS_EVERY / chunk:,.0f}/s", end="", flush=True)
    search_index_catch_up()  # what the worker's schedule does meanwhile (search_index.py)


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _percentiles(result: PageResult) -> dict[str, float]:
    return {f"p{p}": result.percentile(p) for p in (50, 95, 99)}


# --- The parent: corpus, children, report ---------------------------------------------------


def corpus_stats(corpus: list[CorpusMessage]) -> str:
    sizes = sorted(len(m.raw) for m in corpus)
    total = sum(sizes)
    in_range = sum(2048 <= s <= 20480 for s in sizes) / len(sizes)
    attachments = [m.attachment_size for m in corpus if m.attachment_size]
    languages = Counter(m.language for m in corpus)
    charsets = Counter(m.charset for m in corpus)
    median = sizes[len(sizes) // 2]
    return (
        f"{len(corpus):,} messages, {total / 1e6:,.0f} MB; size median {median / 1024:.1f} KB, "
        f"{in_range:.0%} within 2-20 KB; {len(attachments)} with an attachment "
        f"(largest {max(attachments, default=0) / 1e6:.1f} MB); "
        f"{sum(m.is_reply for m in corpus) / len(corpus):.0%} replies; "
        f"{len({m.envelope_from for m in corpus}):,} senders; languages "
        + ", ".join(f"{k} {v / len(corpus):.0%}" for k, v in languages.most_common())
        + "; charsets " + ", ".join(f"{k} {v}" for k, v in charsets.most_common())
    )


PATH_INTROS: dict[str, Callable[[int], list[str]]] = {
    "batch": lambda size: [
        "## Email intake (`bench/ingest.py`)",
        "",
        "The full intake the way the IMAP fetcher and the importer run it, in one process:",
        f"`raw_emails_take_in` on batches of {size} messages (source IMAP, so acknowledgements",
        "are queued), one transaction per batch: per message the header scan, dedupe key,",
        "RawEmail + delivery rows, then parse, classify, match the customer, thread, store the",
        "message and its attachments, record the acknowledgement due (its outbox row; the",
        "words and MIME are built by the send task, which is not run here).",
    ],
    "single": lambda _size: [
        "## Email intake, one message per transaction (`bench/ingest.py --path single`)",
        "",
        "The SMTP receiver's way (250 only after the mail's own commit): per message",
        "`raw_email_receive` (header scan, dedupe key, RawEmail + delivery rows, commit) then",
        "`raw_email_process` (parse, classify, match the customer, thread, store the message",
        "and its attachments, record the acknowledgement due, commit).",
    ],
}


def results_name(options: Options) -> str:
    return RESULTS_NAME if options.path == "batch" else f"{RESULTS_NAME} --path single"


def section_render(
    options: Options, stats: str, results: list[dict[str, Any]], load_at_start: tuple[float, ...]
) -> str:
    begin, end = section_markers(results_name(options))
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    versions = ", ".join(
        f"{'PostgreSQL' if r['backend'] == 'postgres' else 'SQLite'} {r['version']}"
        for r in results
    )
    lines = [
        begin,
        *PATH_INTROS[options.path](options.batch),
        "The baseline, measured in the same process just before, is",
        "`email.message_from_bytes(raw, policy=email.policy.default)` plus the decoded Subject",
        "and From and the body text. Tasks enqueued on commit are written as task rows by",
        "django_tasks_db's backend, the default, into the same database (no worker runs them).",
        f"Target: >= {TARGET_RATE} messages/s on SQLite.",
        "The CPU-time ratio is baseline CPU seconds / intake CPU seconds of this process: less",
        "moved by other work on the machine than the wall-clock ratio; on PostgreSQL it leaves",
        "out the server's own CPU time, so it flatters that backend.",
        "",
        f"- Command: `{options.command}` (`make bench` runs it with the defaults)",
        f"- Date: {now}; machine: {os.cpu_count()} CPUs, {platform.machine()}, "
        f"Python {platform.python_version()}, {versions}; load average (1 min) at the start "
        f"{load_at_start[0]:.1f}, at the end {os.getloadavg()[0]:.1f} (other work shares the "
        "machine)",
        f"- Corpus: {stats}",
        "",
        "| backend | baseline msg/s | intake msg/s | intake / baseline "
        "| CPU-time ratio | SQL statements / msg "
        f"| intake {'per batch' if options.path == 'batch' else 'per msg'} p50 ms "
        "| p95 ms | p99 ms | baseline p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        base_rate = options.messages / r["baseline_seconds"]
        rate = options.messages / r["intake_seconds"]
        i, b = r["intake"], r["baseline"]
        lines.append(
            f"| {r['backend']} | {base_rate:,.0f} | {rate:,.1f} | {rate / base_rate:.3f} "
            f"| {r['baseline_cpu'] / r['intake_cpu']:.3f} | {r['statements_per_message']:.1f} "
            f"| {i['p50']:.1f} | {i['p95']:.1f} "
            f"| {i['p99']:.1f} | {b['p50']:.2f} | {b['p95']:.2f} |"
        )
    lines.append("")
    for r in results:
        rows = ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {json.dumps(v)}"
            for k, v in r["rows"].items()
        )
        lines.append(f"- Rows after the run ({r['backend']}): {rows}")
    lines += ["", end, ""]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> None:
    if argv[:1] == ["--child"]:
        backend, corpus_file, out_file, url = argv[1:5]
        child_run(backend, Path(corpus_file), Path(out_file), url, list(argv[5:8]))
        return
    options = parse_options(argv)
    load_at_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="storedesk-ingest-") as temp:
        corpus_path = Path(temp) / "corpus.pickle"
        with step(f"generating {options.messages:,} messages"):
            corpus = corpus_make(options.messages)
            with corpus_path.open("wb") as handle:
                pickle.dump(corpus, handle, protocol=pickle.HIGHEST_PROTOCOL)
        stats = corpus_stats(corpus)
        del corpus
        print(f"Corpus: {stats}")
        results = []
        for backend in options.backends:
            out_path = Path(temp) / f"{backend}.json"
            subprocess.run(
                [sys.executable, __file__, "--child", backend, str(corpus_path), str(out_path),
                 options.database_url, "1" if options.profile else "0", options.path,
                 str(options.batch)],
                check=True,
            )
            result = json.loads(out_path.read_text())
            results.append(result)
            base_rate = options.messages / result["baseline_seconds"]
            rate = options.messages / result["intake_seconds"]
            print(
                f"[{backend}] baseline {base_rate:,.0f} msg/s; intake {rate:,.1f} msg/s "
                f"({rate / base_rate:.2f} of baseline, CPU time "
                f"{result['baseline_cpu'] / result['intake_cpu']:.2f}); "
                f"intake p50 {result['intake']['p50']:.1f} ms, "
                f"p95 {result['intake']['p95']:.1f} ms; rows {result['rows']}"
            )
    if options.profile:
        print("Profiled run: bench/RESULTS.md left alone.")
        return
    section = section_render(options, stats, results, load_at_start)
    results_write(options.results, section, results_name(options))
    print(f"Wrote {options.results}.")


if __name__ == "__main__":
    main(sys.argv[1:])
