"""Fixtures the email channel's test modules share (the cross-app actors are in the root's)."""

from __future__ import annotations

import os
import random
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from pytest_django.fixtures import Settings

from storedesk.inboxes.models import Inbox
from storedesk.mail.models import ImapAccount
from storedesk.mail.tests.crash_run import SharedDatabase
from storedesk.mail.tests.crash_supervisor import Supervisor
from storedesk.mail.tests.dovecot import DovecotServer, dovecot_missing_reason, dovecot_start
from storedesk.mail.tests.factories import create_imap_account
from storedesk.mail.tests.outbox_smtp import SmtpSink, point_at


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """The session's private Dovecot (dovecot.py): skipped where it is missing, failed in CI."""
    reason = dovecot_missing_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    server = dovecot_start(Path(tempfile.mkdtemp(prefix="storedesk-dovecot-")))
    yield server
    server.stop()


@pytest.fixture
def user() -> str:
    """A mailbox of our own on the session's Dovecot (every user name logs in)."""
    return f"shop-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def account(dovecot: DovecotServer, user: str, email_inbox: Inbox) -> ImapAccount:
    """An IMAP account for `user`, feeding the Support inbox."""
    return create_imap_account(dovecot, user=user, inbox=email_inbox)


@pytest.fixture
def smtp(settings: Settings) -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) that outbound mail is sent to; it keeps what arrives."""
    sink = SmtpSink()
    sink.start()
    point_at(settings, sink)
    yield sink
    sink.stop()


# --- the kill -9 tests (test_crash*.py) ------------------------------------------------------


@pytest.fixture
def shared_database(transactional_db: None, tmp_path: Path) -> SharedDatabase:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "desk.sqlite3"
        return SharedDatabase(url=f"sqlite:///{path}", sqlite_file=path)
    user = quote(params["USER"] or "")
    password = f":{quote(params['PASSWORD'])}" if params["PASSWORD"] else ""
    host = f"{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    url = f"postgres://{user}{password}@{host}/{params['NAME']}"
    return SharedDatabase(url=url, sqlite_file=None)


@pytest.fixture
def seed() -> int:
    return int(os.environ.get("CRASH_HARNESS_SEED") or random.SystemRandom().randrange(2**31))


@pytest.fixture
def supervisors() -> Iterator[list[Supervisor]]:
    started: list[Supervisor] = []
    yield started
    for supervisor in started:
        supervisor.stop()
