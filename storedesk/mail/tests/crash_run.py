"""The kill -9 harness's test side (test_crash.py): the test database as the children see it,
their environment, supervising them, and waiting while work moves.

crash_harness.py is the children's side, crash_supervisor.py the supervisor, crash_mta.py the
sending MTA.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection

from storedesk.mail.tests.crash_harness import CRASH_RATE_ENV, POISON_POINT
from storedesk.mail.tests.crash_supervisor import Supervisor

# No run is timed: a phase fails only when nothing moved for this long (a loaded machine is
# slow, a lost message or a stuck worker makes no progress at all).
STALL_SECONDS = 90.0
PROGRESS_POLL_SECONDS = 0.25


@dataclass
class SharedDatabase:
    """The test database as the child processes see it."""

    url: str
    sqlite_file: Path | None

    def publish(self) -> None:
        """Make what the test committed visible to the children (SQLite: copy it to a file)."""
        if self.sqlite_file is None:
            return
        connection.ensure_connection()
        with sqlite3.connect(self.sqlite_file) as target:
            connection.connection.backup(target)

    def scalar(self, sql: str) -> int:
        """One number, read on a connection of its own (any thread may ask)."""
        if self.sqlite_file is None:
            with psycopg.connect(self.url, autocommit=True) as pg:
                row = pg.execute(sql.encode()).fetchone()
        else:
            lite = sqlite3.connect(self.sqlite_file, timeout=30)
            try:
                row = lite.execute(sql).fetchone()
            finally:
                lite.close()
        assert row is not None
        return int(row[0])

    def collect(self) -> None:
        """Bring what the children stored back into the test's connection (SQLite)."""
        if self.sqlite_file is None:
            return
        source = sqlite3.connect(self.sqlite_file)
        try:
            source.backup(connection.connection)
        finally:
            source.close()


def child_env(database: SharedDatabase, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("STOREDESK_TASK_BACKEND", None)  # the real database task queue
    env.setdefault("DJANGO_SETTINGS_MODULE", "storedesk.settings")
    env.update(
        DATABASE_URL=database.url,
        STOREDESK_VAR_DIR=str(workdir / "var"),
        # Where this test reads the attachments back from.
        STOREDESK_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        # A killed worker's mail is taken again after this (production: 5 minutes), so a
        # run with dozens of kills takes minutes, not hours.
        STOREDESK_MAIL_PROCESSING_ATTEMPT_TIMEOUT_SECONDS="10",
    )
    return env


def supervise(
    started: list[Supervisor],
    argv: list[str],
    *,
    env: dict[str, str],
    rate: float,
    progress: Callable[[], float],
    kill_every: tuple[float, float],
    workdir: Path,
    seed: int,
) -> Supervisor:
    supervisor = Supervisor(
        argv[0],
        argv,
        env={**env, CRASH_RATE_ENV: str(rate)},
        workdir=workdir,
        seed=seed,
        progress=progress,
        kill_every=kill_every,
    )
    supervisor.start()
    started.append(supervisor)
    return supervisor


def polled(read: Callable[[], int]) -> Callable[[], float]:
    """`read`, asked at most every PROGRESS_POLL_SECONDS (a supervisor asks far more often)."""
    last = {"at": 0.0, "value": 0.0}

    def value() -> float:
        if time.monotonic() - last["at"] >= PROGRESS_POLL_SECONDS:
            last["at"], last["value"] = time.monotonic(), float(read())
        return last["value"]

    return value


def wait_while_moving(done: Callable[[], bool], progress: Callable[[], float]) -> bool:
    """Wait until `done()`; False once `progress()` stood still for STALL_SECONDS."""
    seen, moved = progress(), time.monotonic()
    while not done():
        if time.monotonic() - moved > STALL_SECONDS:
            return False
        time.sleep(0.5)
        now = progress()
        if now != seen:
            seen, moved = now, time.monotonic()
    return True


def poisoned_run_end(
    database: SharedDatabase,
    child: Supervisor,
    *,
    done: Callable[[], bool],
    progress: Callable[[], float],
    deaths: int,
    label: str,
) -> None:
    """Wait until `done()` (or the child's supervisor failed), stop the child and collect what
    it stored; check it died exactly `deaths` times, every time at the poison point, and was
    never killed from outside (failures name `label` and the child's counts)."""
    finished = wait_while_moving(lambda: bool(child.counts.failures) or done(), progress)
    child.stop()
    database.collect()
    report = f"{label}: {child.counts}"
    assert finished, report
    assert not child.counts.failures, report
    assert child.counts.points == {POISON_POINT: deaths}, report
    assert child.counts.external == 0, report
