"""Fixtures the email channel's test modules share (the cross-app actors are in the root's)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from storedesk.inboxes.models import Inbox
from storedesk.mail.models import ImapAccount
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
