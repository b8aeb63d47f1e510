"""A batch reads its senders (customers, recent acknowledgements) with one query each."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django import db
from django.db import DatabaseError, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from storedesk.conversations.models import Conversation, ConversationCounter
from storedesk.customers.models import Customer, CustomerIdentity
from storedesk.customers.services import customer_get_or_create_by_email
from storedesk.inboxes.models import Inbox
from storedesk.mail import intake
from storedesk.mail.autoreply_send import auto_reply_send
from storedesk.mail.enums import IntakeSource, OutboundKind, RawEmailState
from storedesk.mail.identify import from_address_scan
from storedesk.mail.intake_batch import InboundMail, raw_emails_take_in
from storedesk.mail.intake_counted import raw_emails_take_in_counted
from storedesk.mail.models import OutboundEmail, RawEmail
from storedesk.mail.tests.factories import make_raw_email


def take_in(*raws: bytes) -> None:
    raw_emails_take_in(
        mails=[
            InboundMail(raw=raw, recipients=["support@shop.example"], envelope_from="")
            for raw in raws
        ],
        source=IntakeSource.IMAP,
    )


def test_the_scan_finds_the_from_address_in_the_header_block_only() -> None:
    folded = b"Subject: hi\r\nFrom: =?utf-8?q?K=C3=A5re?=\r\n <Kare@Example.COM>\r\n\r\nbody\r\n"
    in_body = b"Subject: hi\r\n\r\nFrom: someone@example.com\r\n"
    mbox_line = b"From kim@example.com Mon Dec  1 10:00:00 2026\r\nSubject: hi\r\n\r\nx\r\n"

    assert from_address_scan(folded) == "kare@example.com"
    assert from_address_scan(in_body) == ""
    assert from_address_scan(mbox_line) == ""
    assert from_address_scan(b"\xff\xfe junk") == ""


@pytest.mark.django_db
def test_a_batch_reads_all_its_senders_with_one_query(email_inbox: Inbox) -> None:
    for address in ("kim@example.com", "sam@example.net"):
        customer_get_or_create_by_email(email=address)
    raws = [
        make_raw_email(from_="Kim <kim@example.com>"),
        make_raw_email(from_="Sam <sam@example.net>"),
        make_raw_email(from_="Ada <ada@example.org>"),  # new: created, nothing read again
        make_raw_email(from_="Kim <kim@example.com>", subject="Another question"),
    ]

    with CaptureQueriesContext(connection) as queries:
        take_in(*raws)

    assert len(_identity_reads(queries)) == 1
    assert Conversation.objects.count() == 4
    assert Customer.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_an_import_batch_reads_its_senders_with_one_query_too(email_inbox: Inbox) -> None:
    customer_get_or_create_by_email(email="kim@example.com")
    raws = [make_raw_email(subject=f"Question {n}") for n in range(3)]

    with CaptureQueriesContext(connection) as queries:
        raw_emails_take_in_counted(
            mails=[InboundMail(raw, ["support@shop.example"]) for raw in raws],
            source=IntakeSource.IMPORT,
        )

    assert len(_identity_reads(queries)) == 1
    assert Conversation.objects.filter(customer__identities__value="kim@example.com").count() == 3


def _identity_reads(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and "customers_customeridentity" in q["sql"]
    ]


@pytest.mark.django_db
def test_a_sender_created_by_a_mail_that_rolled_back_is_created_again_by_the_next(
    email_inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch must not keep the customer a rolled-back savepoint took with it."""
    failing = make_raw_email(from_="Sam <sam@example.net>", subject="fails")
    def acknowledging_failing_once(*, raw_email: RawEmail, **kwargs: Any) -> object:
        if bytes(raw_email.raw) == failing:
            raise DatabaseError("disk full")  # after Sam's customer was created
        return auto_reply_send(raw_email=raw_email, **kwargs)

    monkeypatch.setattr(intake, "auto_reply_send", acknowledging_failing_once)

    take_in(failing, make_raw_email(from_="Sam <sam@example.net>", subject="works"))

    identity = CustomerIdentity.objects.get(value="sam@example.net")
    conversation = Conversation.objects.get()
    assert (conversation.subject, conversation.customer_id) == ("works", identity.customer_id)
    assert sorted(RawEmail.objects.values_list("state", flat=True)) == [
        RawEmailState.PROCESSED, RawEmailState.RECEIVED,
    ]


@pytest.mark.django_db
@override_settings(AUTO_REPLY_LIMIT=2)
def test_the_rate_limit_counts_acknowledgements_stored_before_the_batch(
    email_inbox: Inbox,
) -> None:
    take_in(make_raw_email(subject="First"))
    take_in(*(make_raw_email(subject=f"Question {n}") for n in range(3)))

    assert Conversation.objects.count() == 4
    acknowledged = OutboundEmail.objects.filter(
        recipient_key="kim@example.com", kind=OutboundKind.AUTO_REPLY
    )
    assert acknowledged.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent writers (SQLite's IMMEDIATE transactions serialise batches whole)",
)
@override_settings(AUTO_REPLY_LIMIT=1)
def test_a_batch_counts_the_acknowledgement_another_batch_commits_while_it_starts(
    email_inbox: Inbox,
) -> None:
    """The senders' counts are read under the openers' lock, so they cannot go stale."""
    # The locked row, as migration 0003 makes it (transactional tests flush it).
    ConversationCounter.objects.get_or_create(pk=1, defaults={"value": 1000})
    first_holds, first_may_commit = threading.Event(), threading.Event()

    def hold() -> None:
        first_holds.set()
        first_may_commit.wait(10)

    def run(target: Callable[[], object]) -> threading.Thread:
        def body() -> None:
            try:
                target()
            finally:
                db.connection.close()

        thread = threading.Thread(target=body)
        thread.start()
        return thread

    first = run(lambda: raw_emails_take_in(
        mails=[InboundMail(make_raw_email(subject="First"), ["support@shop.example"])],
        source=IntakeSource.IMAP,
        before_commit=hold,
    ))
    assert first_holds.wait(10)
    second = run(lambda: take_in(make_raw_email(subject="Second")))
    time.sleep(0.5)  # the second batch reaches its read of the counts and waits there
    first_may_commit.set()
    first.join(20)
    second.join(20)

    assert Conversation.objects.count() == 2
    assert OutboundEmail.objects.filter(kind=OutboundKind.AUTO_REPLY).count() == 1
