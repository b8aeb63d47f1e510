"""Inbox benchmark: a million conversations in PostgreSQL, measured through the real HTTP stack.

    python bench/inbox.py                      # fill storedesk_bench (minutes), then measure
    python bench/inbox.py --reuse              # keep an already filled database
    python bench/inbox.py --reuse --explain    # also EXPLAIN ANALYZE every query of each page

Steps:

1. Fill a dedicated database (dropped and re-created unless --reuse finds it filled) with
   brands, inboxes, teams and agents made through the ORM, then customers, conversations,
   messages, events, participants and tags made inside PostgreSQL by INSERT ... SELECT over
   generate_series. Every "random" choice is a hash of the row id, so two fills are identical.
   Secondary indexes and foreign keys are dropped for the load and re-created after it, then
   VACUUM ANALYZE sets the statistics and the visibility map.
2. Start the real server (`storedesk serve --no-worker`, else uvicorn) on a free port.
3. Sign in a non-administrator agent of one team (a session row, the way login() writes it)
   and time, interleaved, N sequential keep-alive requests to each page: /healthz (the trivial
   baseline), the team's open inbox sorted by longest waiting, a filtered search, and random
   conversation pages of the team. Report p50/p95/p99 and the ratio to the baseline, the idle
   RSS of the server process, and write them to bench/RESULTS.md.
"""

from __future__ import annotations

import importlib
import os
import platform
import random
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from harness import (
    ROOT,
    PageResult,
    free_port,
    postgres_version,
    results_write,
    rss_mb,
    running_server,
    section_markers,
)
from inbox_fill import (
    BENCH_AGENT,
    BENCH_TEAM,
    Options,
    database_fill,
    database_prepare,
    django_setup,
    parse_options,
    row_counts,
)
from inbox_sql import COMMON_WORD, SELECTIVE_WORD

RESULTS_NAME = "bench/inbox.py"
SECTION_BEGIN, SECTION_END = section_markers(RESULTS_NAME)

# --- The agent, the pages and in-process profiling -----------------------------------------


@dataclass(frozen=True)
class Scenario:
    agent_id: int
    team_id: int
    session_cookie: tuple[str, str]
    conversation_numbers: list[int]
    pages: dict[str, str]  # label -> path


def scenario_create(options: Options) -> Scenario:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.urls import NoReverseMatch, reverse

    from storedesk.accounts.models import Team, User
    from storedesk.conversations.models import Conversation

    agent = User.objects.get(username=BENCH_AGENT)
    team = Team.objects.get(name=BENCH_TEAM)
    # What django.contrib.auth.login() stores, without going through the sign-in form.
    session = importlib.import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = agent._meta.pk.value_to_string(agent)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
    session.create()
    # Random conversations of the team, the same ones in every run.
    rng = random.Random(42)
    highest = Conversation.objects.order_by("-id").values_list("id", flat=True).first() or 0
    wanted = 8 * (options.requests + options.warmup)  # a quarter of them are the team's
    sample = rng.sample(range(1, highest + 1), min(highest, wanted))
    numbers = list(
        Conversation.objects.filter(id__in=sample, inbox__team=team, team=team)
        .order_by("id").values_list("number", flat=True)
    )
    rng.shuffle(numbers)
    try:
        inbox_path = reverse("conversations:inbox")
    except NoReverseMatch:
        inbox_path = "/conversations/"
    pages = {
        "baseline /healthz": "/healthz",
        "/healthz signed in": "/healthz",
        "inbox (open, team, longest waiting)": inbox_path
        + "?" + urlencode({"status": "open", "team": team.pk, "sort": "waiting"}),
        f"search q={SELECTIVE_WORD} (~0.1%), team": inbox_path
        + "?" + urlencode({"q": SELECTIVE_WORD, "status": "all", "team": team.pk}),
        f"search q={COMMON_WORD} (~30%), team": inbox_path
        + "?" + urlencode({"q": COMMON_WORD, "status": "all", "team": team.pk}),
        "conversation page": inbox_path + "{number}/",
    }
    return Scenario(
        agent_id=agent.pk, team_id=team.pk,
        session_cookie=(settings.SESSION_COOKIE_NAME, session.session_key or ""),
        conversation_numbers=numbers, pages=pages,
    )


def page_path(scenario: Scenario, label: str, i: int) -> str:
    path = scenario.pages[label]
    if "{number}" in path:
        numbers = scenario.conversation_numbers
        path = path.format(number=numbers[i % len(numbers)])
    return path


def explain_pages(scenario: Scenario) -> None:
    """Each page's queries, in process, with timings and EXPLAIN ANALYZE; when a page's view
    does not exist yet, the selectors it will call instead."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from storedesk.accounts.models import User

    agent = User.objects.get(pk=scenario.agent_id)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(agent)
    for label in scenario.pages:
        if "healthz" in label:
            continue
        path = page_path(scenario, label, 0)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            try:
                status = client.get(path).status_code
            except Exception as error:  # a view being written may still fail
                status = 500
                print(f"GET {path} raised {error!r}")
            elapsed = (time.perf_counter() - started) * 1000
        queries = list(captured.captured_queries)
        source = f"GET {path} -> {status}"
        if status != 200:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                selectors_for_page(label, agent, scenario)
                elapsed = (time.perf_counter() - started) * 1000
            queries = list(captured.captured_queries)
            source += "; the view is missing, so these are its selectors' queries"
        print(f"\n=== {label}: {source}: {len(queries)} queries, {elapsed:.1f} ms in process")
        for number, query in enumerate(queries, 1):
            print(f"\n--- query {number} ({float(query['time']) * 1000:.1f} ms)\n{query['sql']}")
            if query["sql"].lstrip().upper().startswith("SELECT"):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                    print("\n".join(row[0] for row in cursor.fetchall()))


def selectors_for_page(label: str, agent: Any, scenario: Scenario, i: int = 0) -> None:
    """What the inbox and conversation views call (conversations/selectors*.py)."""
    from storedesk.conversations.access import access_conversation_for_agent
    from storedesk.conversations.enums import InboxSort
    from storedesk.conversations.selectors import (
        InboxFilters,
        conversation_counts_for_agent,
        conversation_page_for_agent,
        timeline_for_agent,
    )
    from storedesk.conversations.selectors_detail import (
        conversation_neighbours_for_agent,
        customer_other_conversations,
    )

    if label.startswith("conversation page"):
        number = scenario.conversation_numbers[i % len(scenario.conversation_numbers)]
        conversation = access_conversation_for_agent(agent=agent, number=number)
        timeline_for_agent(conversation=conversation)
        customer_other_conversations(agent=agent, conversation=conversation)
        # The previous/next links of the conversation page (the view passes the list's
        # filters from the query string; none here, so the default open tab).
        conversation_neighbours_for_agent(
            agent=agent, conversation=conversation, filters=InboxFilters()
        )
        return
    if label.startswith("inbox"):
        filters = InboxFilters(
            status="open", team_id=scenario.team_id, sort=InboxSort.LONGEST_WAITING
        )
    else:
        word = SELECTIVE_WORD if SELECTIVE_WORD in label else COMMON_WORD
        filters = InboxFilters(status="all", team_id=scenario.team_id, query=word)
    conversation_page_for_agent(agent=agent, filters=filters)
    conversation_counts_for_agent(agent=agent, filters=filters)


def time_selectors(scenario: Scenario, rounds: int) -> dict[str, list[float]]:
    """In-process timings of the selectors (no HTTP, no templates): the database's share."""
    from django.db import close_old_connections

    from storedesk.accounts.models import User

    agent = User.objects.get(pk=scenario.agent_id)
    timings: dict[str, list[float]] = {}
    for label in scenario.pages:
        if "healthz" in label:
            continue
        samples = timings.setdefault(label, [])
        for i in range(rounds):
            started = time.perf_counter()
            selectors_for_page(label, agent, scenario, i)
            samples.append((time.perf_counter() - started) * 1000)
    close_old_connections()
    return timings


# --- The server and the HTTP measurement ---------------------------------------------------

def server_env(options: Options, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": options.database_url,
        "STOREDESK_MODE": "development",
        "STOREDESK_DEBUG": "false",
        "STOREDESK_ALLOWED_HOSTS": "127.0.0.1",
        "STOREDESK_LOG_LEVEL": "WARNING",
        "PORT": str(port),
    }
    env.pop("REDIS_URL", None)
    return env


def server_command(options: Options, port: int) -> list[str]:
    serve_exists = (ROOT / "storedesk/core/management/commands/serve.py").exists()
    if options.server == "serve" or (options.server == "auto" and serve_exists):
        return [
            sys.executable, "-m", "storedesk", "serve",
            "--host", "127.0.0.1", "--port", str(port), "--no-worker",
        ]
    return [
        sys.executable, "-m", "uvicorn", "storedesk.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--lifespan", "off",
    ]


def measure(
    scenario: Scenario, port: int, requests: int, warmup: int, on_warm: Callable[[], object]
) -> list[PageResult]:
    """Interleaved (one request per page in turn), so noise hits every page alike."""
    results = {label: PageResult(label) for label in scenario.pages}
    name, value = scenario.session_cookie
    base_url = f"http://127.0.0.1:{port}"
    # The baseline is anonymous (no session row to read); every other page is signed in.
    with (
        httpx.Client(base_url=base_url, timeout=60) as anonymous,
        httpx.Client(base_url=base_url, cookies={name: value}, timeout=60) as client,
    ):
        for i in range(warmup + requests):
            if i == warmup:
                on_warm()
            for label, result in results.items():
                if result.error:
                    continue
                path = page_path(scenario, label, i)
                started = time.perf_counter()
                response = (anonymous if label.startswith("baseline") else client).get(path)
                body = response.content
                elapsed = (time.perf_counter() - started) * 1000
                result.status = response.status_code
                if response.status_code != 200:
                    result.error = f"GET {path} -> {response.status_code} {body[:80]!r}"
                elif i >= warmup:
                    result.samples.append(elapsed)
    return list(results.values())


# --- Reporting -----------------------------------------------------------------------------


@dataclass
class Report:
    options: Options
    counts: dict[str, int]
    fill_seconds: float | None
    server: str
    results: list[PageResult]
    rss_started_mb: float
    rss_idle_mb: float
    selector_timings: dict[str, list[float]]


def report_table(results: list[PageResult]) -> list[str]:
    baseline = results[0]
    lines = [
        "| page | p50 ms | p95 ms | p99 ms | p50 / baseline | p95 / baseline |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        if not result.samples:
            lines.append(f"| {result.label} | n/a: {result.error} | | | | |")
            continue
        p50, p95, p99 = (result.percentile(p) for p in (50, 95, 99))
        ratio50 = p50 / baseline.percentile(50) if baseline.samples else float("nan")
        ratio95 = p95 / baseline.percentile(95) if baseline.samples else float("nan")
        lines.append(
            f"| {result.label} | {p50:.1f} | {p95:.1f} | {p99:.1f} "
            f"| {ratio50:.1f}x | {ratio95:.1f}x |"
        )
    return lines


def report_markdown(report: Report) -> str:
    options = report.options
    counts = ", ".join(f"{table} {rows:,}" for table, rows in report.counts.items())
    fill = f"{report.fill_seconds:.0f}s" if report.fill_seconds is not None else "reused"
    lines = [
        SECTION_BEGIN,
        "## Inbox at 1M conversations (`bench/inbox.py`)",
        "",
        "Pages: the baseline is `/healthz` (a trivial view behind the whole middleware stack),",
        "requested without a session; `/healthz signed in` is the same view with the agent's",
        "session cookie, so it adds what every signed-in page pays (session and user queries on a",
        "new database connection);",
        "the inbox is the first page of the team's open conversations sorted by longest waiting",
        "(`?status=open&team=<id>&sort=waiting`); the searches add `q` to `status=all` and the",
        "team (one word in ~0.1% of conversations, one in ~30%); the conversation page is a",
        "random conversation of the team. The agent is a non-administrator member of one team,",
        "so the access filter runs. Requests are sequential, keep-alive, interleaved across",
        "pages. Targets: p95 < 50 ms for the inbox and the conversation page; idle RSS < 150 MB.",
        "",
        f"- Command: `{options.command}` (`make bench` runs it with the defaults)",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} CPUs "
        f"(nproc), {platform.machine()}, Python {platform.python_version()}, "
        f"PostgreSQL {postgres_version(options.database_url)}",
        f"- Rows: {counts}",
        f"- Fill: {fill}; server: `{report.server}`; "
        f"{options.requests} timed requests per page after {options.warmup} warm-up",
        "",
        *report_table(report.results),
        "",
        f"Server RSS: {report.rss_started_mb:.0f} MB after start, {report.rss_idle_mb:.0f} MB idle "
        "after the run (process and children, VmRSS).",
    ]
    if report.selector_timings:
        lines += [
            "",
            "Selectors in process (no HTTP, no templates), ms:",
            "",
            "| page | p50 | p95 |",
            "|---|---:|---:|",
        ]
        for label, samples in report.selector_timings.items():
            result = PageResult(label, samples=samples)
            lines.append(f"| {label} | {result.percentile(50):.1f} | {result.percentile(95):.1f} |")
    lines += ["", SECTION_END]
    return "\n".join(lines) + "\n"


# --- Main ----------------------------------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    options = parse_options(argv)
    # `kill` stops the server subprocess too (running_server's finally runs on SystemExit).
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    django_setup(options, secret_key=secrets.token_urlsafe(40))
    started = time.perf_counter()
    fill_seconds: float | None = None
    if database_prepare(options):
        counts = database_fill(options)
        fill_seconds = time.perf_counter() - started
    else:
        # A reused database still gets the migrations (new indexes) added since its fill.
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        counts = row_counts(options.database_url)
    print("Rows: " + ", ".join(f"{table} {rows:,}" for table, rows in counts.items()))

    scenario = scenario_create(options)
    if options.explain:
        explain_pages(scenario)
    selector_timings = time_selectors(scenario, rounds=min(options.requests, 10))
    for label, samples in selector_timings.items():
        result = PageResult(label, samples=samples)
        print(f"  selectors in process, {label}: p50 {result.percentile(50):.1f} ms, "
              f"p95 {result.percentile(95):.1f} ms")

    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"storedesk-bench-{port}.log"
    rss: dict[str, float] = {}
    command_line = server_command(options, port)
    with running_server(command_line, server_env(options, port), port, log_path) as process:
        command = " ".join(command_line[1:])
        rss["started"] = rss_mb(process.pid)
        print(f"Measuring {options.requests} requests per page after {options.warmup} warm-up ...")
        results = measure(
            scenario, port, options.requests, options.warmup,
            on_warm=lambda: rss.setdefault("warm", rss_mb(process.pid)),
        )
        time.sleep(2)
        rss["idle"] = rss_mb(process.pid)

    report = Report(
        options=options, counts=counts, fill_seconds=fill_seconds, server=command,
        results=results, rss_started_mb=rss["started"], rss_idle_mb=rss["idle"],
        selector_timings=selector_timings,
    )
    print()
    print("\n".join(report_table(results)))
    print(
        f"Server RSS: {rss['started']:.0f} MB after start, {rss['warm']:.0f} MB after warm-up, "
        f"{rss['idle']:.0f} MB idle after the run"
    )
    results_write(options.results, report_markdown(report), RESULTS_NAME)
    print(f"Written to {options.results}.")
    slow = [
        r.label for r in results
        if r.samples and r.label.startswith(("inbox", "conversation")) and r.percentile(95) > 50
    ]
    missing = [r.label for r in results if not r.samples]
    if slow:
        print("Over the 50 ms p95 target: " + ", ".join(slow))
    if missing:
        print("Not measured (view missing?): " + ", ".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
