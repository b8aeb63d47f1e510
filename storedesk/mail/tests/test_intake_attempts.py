"""Getting the worker past stored mail whose processing kills it (intake_attempts.py).

A worker that died leaves its attempt counted on the mail; these tests leave an attempt
unfinished as a dead worker would (`attempt_begin` with nothing after it) and move the clock
past the grace period and the attempt timeout by ageing the rows. The real kill is in
test_crash.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from storedesk.conversations.models import Conversation
from storedesk.inboxes.models import Inbox
from storedesk.mail import intake
from storedesk.mail.enums import IntakeSource, RawEmailState
from storedesk.mail.intake import raw_email_process, raw_email_process_pending
from storedesk.mail.intake_attempts import (
    PENDING_GRACE_SECONDS,
    attempt_begin,
    attempted,
    raw_emails_due,
)
from storedesk.mail.intake_batch import InboundMail, raw_emails_take_in
from storedesk.mail.models import RawEmail
from storedesk.mail.tests.factories import make_raw_email, receive

pytestmark = pytest.mark.django_db

PAST = timedelta(seconds=PENDING_GRACE_SECONDS + 1)


def age(raw_email: RawEmail, by: timedelta | None = None) -> None:
    """As if `by` (default: longer than the grace period and an attempt's time limit) had
    passed since it was stored and since its last attempt began."""
    by = by or timedelta(seconds=django_settings.MAIL_PROCESSING_ATTEMPT_TIMEOUT_SECONDS + 1)
    row = RawEmail.objects.get(pk=raw_email.pk)
    started = row.processing_started_at
    RawEmail.objects.filter(pk=raw_email.pk).update(
        created_at=row.created_at - by, processing_started_at=started and started - by
    )


def worker_died_on(raw_email: RawEmail, times: int = 1) -> None:
    """What a worker killed while processing the mail leaves: its attempt, never finished."""
    for _ in range(times):
        assert attempt_begin(raw_email)
        age(raw_email)


def test_an_attempt_that_never_finished_counts_and_the_sweep_takes_the_mail_again(
    email_inbox: Inbox,
) -> None:
    raw_email = receive(make_raw_email(subject="Lost parcel"))
    assert attempt_begin(raw_email)
    RawEmail.objects.filter(pk=raw_email.pk).update(created_at=timezone.now() - PAST)

    row = RawEmail.objects.get(pk=raw_email.pk)
    assert (row.state, row.processing_attempts) == (RawEmailState.RECEIVED, 1)
    assert row.processing_started_at is not None
    # The attempt may still be running: left to its process for the grace period.
    assert raw_emails_due(limit=10) == []
    assert raw_email_process(raw_email=row) == []
    assert RawEmail.objects.get(pk=raw_email.pk).processing_attempts == 1

    age(raw_email)
    assert raw_email_process_pending() == 1

    row.refresh_from_db()
    assert (row.state, row.processing_attempts) == (RawEmailState.PROCESSED, 0)
    assert Conversation.objects.filter(subject="Lost parcel").count() == 1


def test_a_slow_attempt_is_not_taken_for_a_dead_one(email_inbox: Inbox) -> None:
    raw_email = receive(make_raw_email(subject="A large mail on a busy machine"))
    assert attempt_begin(raw_email)
    # Long past the grace for new mail, well within an attempt's time limit: still running.
    age(raw_email, by=timedelta(seconds=PENDING_GRACE_SECONDS * 6))

    assert raw_emails_due(limit=10) == []
    assert not attempt_begin(raw_email)
    assert RawEmail.objects.get(pk=raw_email.pk).processing_attempts == 1

    age(raw_email)
    assert raw_emails_due(limit=10) == [raw_email.pk]


def test_an_attempt_that_finishes_does_not_count(email_inbox: Inbox) -> None:
    processed = receive(make_raw_email())
    nowhere = receive(make_raw_email(to=["someone@elsewhere.example"]), "x@elsewhere.example")

    raw_email_process(raw_email=processed)
    # A Python exception inside processing: quarantined with its reason, as always.
    raw_email_process(raw_email=nowhere)

    rows = RawEmail.objects.order_by("pk").values_list("state", "processing_attempts", "reason")
    assert list(rows) == [
        (RawEmailState.PROCESSED, 0, ""),
        (RawEmailState.QUARANTINED, 0, "no recipient is one of our addresses"),
    ]


def test_an_attempt_the_process_survived_is_taken_back(
    email_inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw_email = receive(make_raw_email())

    def database_down(**kwargs: object) -> None:
        raise OperationalError("connection lost")

    monkeypatch.setattr(intake, "thread_find", database_down)
    with pytest.raises(OperationalError):
        raw_email_process(raw_email=raw_email)
    # An attempt that ends with the mail still waiting (a delivery added meanwhile).
    assert attempted(raw_email, lambda: []) == []

    row = RawEmail.objects.get(pk=raw_email.pk)
    assert (row.state, row.processing_attempts) == (RawEmailState.RECEIVED, 0)
    monkeypatch.undo()
    # The task's retry starts at once: nothing counted, nothing running.
    raw_email_process(raw_email=row)
    row.refresh_from_db()
    assert (row.state, row.processing_attempts) == (RawEmailState.PROCESSED, 0)


def test_mail_that_killed_the_worker_3_times_is_set_aside_unparsed_and_reprocessable(
    email_inbox: Inbox, admin_client: Client
) -> None:
    raw_email = receive(make_raw_email(subject="Crashes the parser"))
    worker_died_on(raw_email, times=3)
    started = RawEmail.objects.get(pk=raw_email.pk).processing_started_at
    assert started is not None

    assert raw_email_process_pending() == 1

    row = RawEmail.objects.get(pk=raw_email.pk)
    assert (row.state, row.processing_attempts) == (RawEmailState.QUARANTINED, 3)
    assert row.reason == (
        "processing this message did not complete after 3 attempts; the worker or import "
        "processing it may have crashed on it "
        f"(last attempt started {started:%Y-%m-%d %H:%M:%S} UTC)"
    )
    # Never parsed: no conversation, its delivery waits for Re-process.
    assert row.deliveries.get().message is None
    assert not Conversation.objects.exists()
    assert raw_email_process(raw_email=row) == []  # a late task leaves it alone

    page = admin_client.get(reverse("mail:admin_quarantine")).content.decode()
    assert "the worker or import processing it may have crashed on it" in page
    admin_client.post(reverse("mail:admin_quarantine_reprocess", args=[row.pk]))

    row.refresh_from_db()
    assert (row.state, row.reason, row.processing_attempts) == (RawEmailState.PROCESSED, "", 0)
    assert Conversation.objects.filter(subject="Crashes the parser").count() == 1


def test_the_limit_is_the_setting_the_imap_fetcher_uses_too(
    email_inbox: Inbox, settings: Settings
) -> None:
    settings.MAIL_PROCESSING_MAX_ATTEMPTS = 2
    once = receive(make_raw_email(subject="Died on once"))
    twice = receive(make_raw_email(subject="Died on twice"))
    worker_died_on(once)
    worker_died_on(twice, times=2)

    assert raw_email_process_pending() == 2

    states = dict(RawEmail.objects.values_list("pk", "state"))
    assert states == {once.pk: RawEmailState.PROCESSED, twice.pk: RawEmailState.QUARANTINED}
    reason = RawEmail.objects.get(pk=twice.pk).reason
    assert reason.startswith("processing this message did not complete after 2 attempts")


def test_a_batch_leaves_mail_a_worker_started_to_the_worker(email_inbox: Inbox) -> None:
    raw = make_raw_email(subject="Also in the IMAP folder")
    raw_email = receive(raw)
    worker_died_on(raw_email)

    stored = raw_emails_take_in(
        mails=[InboundMail(raw=raw, recipients=["support@shop.example"])],
        source=IntakeSource.IMAP,
    )

    assert (stored[0].is_new, stored[0].processed) == (False, False)
    row = RawEmail.objects.get(pk=raw_email.pk)
    assert (row.state, row.processing_attempts) == (RawEmailState.RECEIVED, 1)
    assert raw_email_process_pending() == 1
    assert Conversation.objects.filter(subject="Also in the IMAP folder").count() == 1
