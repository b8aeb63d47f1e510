"""Batch intake (IMAP and import): one transaction per batch, a savepoint per mail."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from pytest_django.fixtures import Settings

from storedesk.conversations.models import Conversation, Message
from storedesk.core.realtime import inbox_agents_group
from storedesk.core.tests.dummy_tasks import dummy_backend_use, enqueued_results
from storedesk.inboxes.models import Inbox, InboxAddress
from storedesk.mail.enums import IntakeSource, OutboundKind, RawEmailKind, RawEmailState
from storedesk.mail.intake_batch import InboundMail, raw_emails_take_in
from storedesk.mail.intake_store import Stored
from storedesk.mail.models import OutboundEmail, RawEmail
from storedesk.mail.tasks import outbox_send_task
from storedesk.mail.tests.factories import make_raw_email

pytestmark = pytest.mark.django_db
Capture = Callable[..., AbstractContextManager[Any]]


def take_in(*raws: bytes, to: str = "support@shop.example", **kwargs: Any) -> list[Stored]:
    return raw_emails_take_in(
        mails=[InboundMail(raw=raw, recipients=[to], envelope_from="kim@example.com")
               for raw in raws],
        source=IntakeSource.IMAP,
        **kwargs,
    )


def test_a_batch_stores_threads_and_acknowledges_each_mail(email_inbox: Inbox) -> None:
    first = make_raw_email(message_id="<first@example.com>")
    reply = make_raw_email(message_id="<reply@example.com>", in_reply_to="<first@example.com>")
    other = make_raw_email(from_="Sam <sam@example.net>", message_id="<other@example.net>")

    stored = take_in(first, reply, other)

    assert [s.is_new for s in stored] == [True, True, True]
    assert {r.state for r in RawEmail.objects.all()} == {RawEmailState.PROCESSED}
    assert Conversation.objects.count() == 2
    thread = Conversation.objects.get(customer__identities__value="kim@example.com")
    assert thread.messages.count() == 2
    acknowledged = OutboundEmail.objects.filter(kind=OutboundKind.AUTO_REPLY)
    assert sorted(acknowledged.values_list("recipient_key", flat=True)) == [
        "kim@example.com", "sam@example.net",
    ]


def test_a_batchs_acknowledgements_are_sent_by_one_task(
    email_inbox: Inbox, settings: Settings, django_capture_on_commit_callbacks: Capture
) -> None:
    dummy_backend_use(settings)
    mails = [
        make_raw_email(from_=f"C{n} <c{n}@example.net>", message_id=f"<m{n}@example.net>")
        for n in range(3)
    ]

    with django_capture_on_commit_callbacks(execute=True):
        take_in(*mails)

    sends = [r for r in enqueued_results() if r.task.func is outbox_send_task.func]
    acknowledged = OutboundEmail.objects.filter(kind=OutboundKind.AUTO_REPLY)
    assert len(acknowledged) == 3
    assert [sorted(send.args) for send in sends] == [sorted(a.pk for a in acknowledged)]


def test_a_batch_writes_each_mails_state_and_kind_at_its_end(email_inbox: Inbox) -> None:
    personal = make_raw_email(message_id="<personal@example.com>")
    away = make_raw_email(
        from_="Sam <sam@example.net>", headers=[("Auto-Submitted", "auto-replied")]
    )

    take_in(personal, away)

    assert sorted(RawEmail.objects.values_list("state", "kind")) == [
        (RawEmailState.PROCESSED, RawEmailKind.AUTO_REPLY),
        (RawEmailState.PROCESSED, RawEmailKind.PERSONAL),
    ]
    assert all(RawEmail.objects.values_list("processed_at", flat=True))


def test_a_mail_that_cannot_be_parsed_is_quarantined_and_the_batch_goes_on(
    email_inbox: Inbox,
) -> None:
    good = make_raw_email(message_id="<good@example.com>")
    later = make_raw_email(from_="Sam <sam@example.net>", message_id="<later@example.net>")

    stored = take_in(good, b"", later)

    states = [RawEmail.objects.get(pk=s.raw_email.pk).state for s in stored]
    assert states == [
        RawEmailState.PROCESSED, RawEmailState.QUARANTINED, RawEmailState.PROCESSED,
    ]
    assert RawEmail.objects.get(pk=stored[1].raw_email.pk).reason.startswith("unparseable")
    assert Message.objects.count() == 2


def test_the_same_mail_twice_in_a_batch_is_stored_and_processed_once(
    email_inbox: Inbox,
) -> None:
    raw = make_raw_email(message_id="<twice@example.com>")

    stored = take_in(raw, raw)

    assert [(s.is_new, s.processed) for s in stored] == [(True, True), (False, False)]
    assert stored[0].raw_email.pk == stored[1].raw_email.pk
    assert RawEmail.objects.count() == 1
    assert Message.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own search index")
def test_a_batch_leaves_its_messages_indexed_for_search(email_inbox: Inbox) -> None:
    take_in(
        make_raw_email(subject="Lamp 4471 arrived broken"),
        make_raw_email(from_="Sam <sam@example.net>", subject="Refund"),
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM message_search_pending")
        assert cursor.fetchone() == (0,)
        cursor.execute("""SELECT rowid FROM message_fts WHERE message_fts MATCH '"447"'""")
        indexed = [row[0] for row in cursor.fetchall()]
    assert indexed == [Message.objects.get(conversation__subject__startswith="Lamp").pk]


def test_a_failure_before_commit_rolls_the_whole_batch_back(email_inbox: Inbox) -> None:
    """The IMAP resume point moves in `before_commit`: it and the mails commit together."""

    def fail() -> None:
        raise RuntimeError("crash before the resume point moved")

    with pytest.raises(RuntimeError):
        take_in(make_raw_email(message_id="<lost@example.com>"), before_commit=fail)

    assert RawEmail.objects.count() == 0
    assert Conversation.objects.count() == 0
    stored = take_in(make_raw_email(message_id="<lost@example.com>"))
    assert stored[0].is_new


def test_an_address_added_between_batches_is_seen_by_the_next(email_inbox: Inbox) -> None:
    raw = make_raw_email(to=["orders@shop.example"], message_id="<orders@example.com>")
    take_in(raw, to="orders@shop.example")
    assert RawEmail.objects.get().state == RawEmailState.QUARANTINED

    InboxAddress.objects.create(inbox=email_inbox, email="orders@shop.example")
    stored = take_in(make_raw_email(to=["orders@shop.example"]), to="orders@shop.example")

    assert [len(s.added) for s in stored] == [1]
    assert RawEmail.objects.get(pk=stored[0].raw_email.pk).state == RawEmailState.PROCESSED


def test_live_updates_go_out_after_commit(
    email_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    raws = [
        make_raw_email(from_=f"C{n} <c{n}@example.com>", message_id=f"<live{n}@example.com>")
        for n in range(2)
    ]

    def take_in_and_commit() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            take_in(*raws)

    async def listen() -> list[dict[str, Any]]:
        # One event loop for all: the Redis layers keep their channels per loop.
        layer = get_channel_layer()
        assert layer is not None
        channel = await layer.new_channel()
        await layer.group_add(inbox_agents_group(email_inbox.pk), channel)
        await sync_to_async(take_in_and_commit)()  # in this thread: the test's transaction
        received: list[dict[str, Any]] = []
        while len(received) < 4:  # a batch's events travel together, one message per group
            received += (await asyncio.wait_for(layer.receive(channel), 10))["events"]
        return received

    received = async_to_sync(listen)()
    numbers = sorted(Conversation.objects.values_list("pk", flat=True))
    # Per new conversation: its CREATED event (1) and the first message (2).
    assert sorted((e["conversation_id"], e["sequence"]) for e in received) == [
        (numbers[0], 1), (numbers[0], 2), (numbers[1], 1), (numbers[1], 2),
    ]
