"""Intake: storing once by constraint, then turning deliveries into conversations."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone

from storedesk.accounts.models import User
from storedesk.brands.tests.factories import create_brand
from storedesk.conversations.enums import ConversationStatus, DeliveryStatus
from storedesk.conversations.models import Attachment, Conversation, Message
from storedesk.conversations.services.messages import MessageContent, message_reply
from storedesk.conversations.tests.factories import create_conversation
from storedesk.core.tests.shared_cache import retrying_shared_cache_locks
from storedesk.core.tests.shared_data import shared_data_files
from storedesk.customers.models import Customer
from storedesk.customers.services import customer_set_blocked
from storedesk.customers.tests.factories import create_customer
from storedesk.inboxes.models import Inbox, InboxAddress
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.mail.enums import IntakeSource, OutboundState, RawEmailKind, RawEmailState
from storedesk.mail.identify import dedupe_key_for, message_id_scan
from storedesk.mail.intake import raw_email_process, raw_email_process_pending, raw_email_reprocess
from storedesk.mail.intake_store import raw_email_receive
from storedesk.mail.models import OutboundEmail, RawEmail, RawEmailDelivery
from storedesk.mail.tests.factories import (
    create_outbound_email,
    make_dsn,
    make_raw_email,
    receive,
    receive_and_process,
)

pytestmark = pytest.mark.django_db


# --- the header scan -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Message-ID: <abc@x.example>\r\nSubject: hi\r\n\r\nbody", "abc@x.example"),
        (b"message-id:\r\n  <folded@x.example>\nSubject: hi\n\nbody", "folded@x.example"),
        (b"Message-Id: bare@x.example\n\n", "bare@x.example"),
        (b"Subject: none\n\nMessage-ID: <in-body@x.example>\n", ""),
        (b"\xff\xfe\x00garbage without headers", ""),
        (b"", ""),
    ],
)
def test_message_id_scan(raw: bytes, expected: str) -> None:
    assert message_id_scan(raw) == expected


# --- storing ---------------------------------------------------------------------------------


def test_receive_stores_raw_bytes_and_a_delivery(email_inbox: Inbox) -> None:
    raw = make_raw_email(message_id="<one@example.com>")

    raw_email = receive(raw, "Support@Shop.Example")

    stored = RawEmail.objects.get()
    assert stored.pk == raw_email.pk
    assert bytes(stored.raw) == raw
    assert stored.size == len(raw)
    assert stored.dedupe_key == dedupe_key_for(raw, "one@example.com")
    assert stored.dedupe_key.startswith("mid:")
    assert stored.header_message_id == "one@example.com"
    assert stored.state == RawEmailState.RECEIVED
    delivery = RawEmailDelivery.objects.get()
    assert (delivery.inbox_id, delivery.recipient, delivery.message_id) == (
        email_inbox.pk,
        "support@shop.example",
        None,
    )


def test_receive_twice_stores_once(email_inbox: Inbox) -> None:
    raw = make_raw_email(message_id="<twice@example.com>")

    first = receive(raw)
    second = receive(raw)

    assert first.pk == second.pk
    assert RawEmail.objects.count() == 1
    assert RawEmailDelivery.objects.count() == 1


def test_same_message_id_with_other_bytes_is_the_same_mail(email_inbox: Inbox) -> None:
    # An IMAP copy and an SMTP copy differ in Received: headers but are one mail.
    raw = make_raw_email(message_id="<same@example.com>")

    receive(raw)
    receive(b"Received: from mx2.example\r\n" + raw)

    assert RawEmail.objects.count() == 1


def test_mail_without_message_id_dedupes_by_bytes(email_inbox: Inbox) -> None:
    raw = make_raw_email(message_id=None)

    receive(raw)
    receive(raw)
    receive(raw + b"\r\nanother line")

    keys = sorted(RawEmail.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == 2
    assert all(key.startswith("raw:") for key in keys)


def test_plus_address_reaches_its_base_address(email_inbox: Inbox) -> None:
    receive(make_raw_email(), "SUPPORT+T4Q9X@shop.example")

    assert RawEmailDelivery.objects.get().inbox_id == email_inbox.pk


def test_unknown_recipients_store_the_mail_without_deliveries(email_inbox: Inbox) -> None:
    receive(make_raw_email(), "nobody@elsewhere.example")

    assert RawEmail.objects.count() == 1
    assert RawEmailDelivery.objects.count() == 0


def test_later_recipient_of_the_same_mail_adds_a_delivery(email_inbox: Inbox) -> None:
    sales = create_inbox(brand=email_inbox.brand, name="Sales", address="sales@shop.example")
    raw = make_raw_email(to=["support@shop.example", "sales@shop.example"])
    raw_email = receive_and_process(raw, "support@shop.example")
    assert raw_email.state == RawEmailState.PROCESSED

    again = receive(raw, "sales@shop.example")

    assert again.pk == raw_email.pk
    assert again.state == RawEmailState.RECEIVED  # so the pending sweep finds it after a crash
    assert set(RawEmailDelivery.objects.values_list("inbox_id", flat=True)) == {
        email_inbox.pk,
        sales.pk,
    }


def test_receive_enqueues_processing_after_commit(
    email_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        receive(make_raw_email(subject="Queued"))

    assert Conversation.objects.get().subject == "Queued"
    assert RawEmail.objects.get().state == RawEmailState.PROCESSED


@pytest.mark.django_db(transaction=True)
def test_concurrent_receives_of_one_mail_store_it_once() -> None:
    create_inbox(address="support@shop.example")
    raw = make_raw_email(message_id="<race@example.com>")
    barrier = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(retrying_shared_cache_locks(lambda: receive(raw)).pk)
        except BaseException as exc:  # reported below; a thread must not swallow it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert len(results) == 4
    assert len(set(results)) == 1
    assert RawEmail.objects.count() == 1
    assert RawEmailDelivery.objects.count() == 1


# --- processing ------------------------------------------------------------------------------


def test_new_mail_opens_a_conversation(email_inbox: Inbox) -> None:
    raw = make_raw_email(
        from_="Kim Lee <Kim@Example.com>",
        subject="Parcel missing",
        body="My order 1001 never came.",
        attachments=[("receipt.pdf", "application/pdf", b"%PDF-1.4 receipt")],
    )

    raw_email = receive_and_process(raw)

    conversation = Conversation.objects.get()
    assert conversation.inbox_id == email_inbox.pk
    assert conversation.subject == "Parcel missing"
    assert conversation.customer.primary_email == "kim@example.com"
    message = Message.objects.get()
    assert "My order 1001 never came." in message.text
    assert message.channel_metadata["raw_email_id"] == raw_email.pk
    assert Attachment.objects.get().filename == "receipt.pdf"
    delivery = RawEmailDelivery.objects.get()
    assert delivery.message_id == message.pk
    assert raw_email.state == RawEmailState.PROCESSED
    assert raw_email.kind == RawEmailKind.PERSONAL
    assert raw_email.processed_at is not None


def test_processing_twice_creates_one_message(email_inbox: Inbox) -> None:
    raw_email = receive_and_process(make_raw_email())

    assert raw_email_process(raw_email=raw_email) == []
    raw_email_reprocess(raw_email=raw_email)

    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 1


def test_one_mail_to_two_inboxes_gives_two_conversations(email_inbox: Inbox) -> None:
    sales = create_inbox(brand=email_inbox.brand, name="Sales", address="sales@shop.example")
    raw = make_raw_email(to=["support@shop.example", "sales@shop.example"])

    receive_and_process(raw, "support@shop.example", "sales@shop.example")

    assert RawEmail.objects.count() == 1
    assert sorted(Conversation.objects.values_list("inbox_id", flat=True)) == sorted(
        [email_inbox.pk, sales.pk]
    )
    assert Customer.objects.count() == 1  # our own addresses never become customers
    assert Message.objects.filter(raw_delivery__isnull=False).count() == 2


def test_other_visible_recipients_become_participants(email_inbox: Inbox) -> None:
    raw = make_raw_email(to=["support@shop.example", "friend@example.org"], cc=["boss@example.org"])

    receive_and_process(raw)

    message = Message.objects.get()
    assert sorted(message.cc) == ["boss@example.org", "friend@example.org"]


def test_blocked_sender_goes_to_spam(email_inbox: Inbox) -> None:
    customer_set_blocked(customer=create_customer(email="spammer@example.net"), is_blocked=True)

    receive_and_process(make_raw_email(from_="spammer@example.net"))

    assert Conversation.objects.get().status == ConversationStatus.SPAM


def test_blocked_sender_reply_does_not_reopen_the_conversation(email_inbox: Inbox) -> None:
    customer = create_customer(email="kim@example.com")
    conversation = create_conversation(inbox=email_inbox, customer=customer)
    outbound = create_outbound_email(conversation=conversation)
    customer_set_blocked(customer=customer, is_blocked=True)

    receive_and_process(make_raw_email(in_reply_to=outbound.header_message_id))

    new = Conversation.objects.exclude(pk=conversation.pk).get()
    assert new.status == ConversationStatus.SPAM
    assert conversation.messages.count() == 1


def test_unparseable_mail_is_quarantined_with_reason(email_inbox: Inbox) -> None:
    raw_email = receive_and_process(b"")

    assert raw_email.state == RawEmailState.QUARANTINED
    assert raw_email.reason.startswith("unparseable")
    assert bytes(raw_email.raw) == b""
    assert Conversation.objects.count() == 0


def test_quarantined_mail_can_be_reprocessed(email_inbox: Inbox) -> None:
    raw = make_raw_email(to=["orders@shop.example"])
    raw_email = receive_and_process(raw, "orders@shop.example")
    assert raw_email.state == RawEmailState.QUARANTINED
    assert raw_email.reason == "no recipient is one of our addresses"
    # The admin adds the missing address, then retries.
    InboxAddress.objects.create(inbox=email_inbox, email="orders@shop.example")

    raw_email_reprocess(raw_email=raw_email)

    raw_email.refresh_from_db()
    assert raw_email.state == RawEmailState.PROCESSED
    assert raw_email.reason == ""
    assert Conversation.objects.get().inbox_id == email_inbox.pk


def test_recipients_are_taken_from_headers_when_the_envelope_had_none(
    email_inbox: Inbox,
) -> None:
    raw = make_raw_email(to=["Support@shop.example"])
    raw_email = raw_email_receive(raw=raw, source=IntakeSource.IMPORT, recipients=[])

    raw_email_process(raw_email=raw_email)

    assert RawEmailDelivery.objects.get().inbox_id == email_inbox.pk
    assert Conversation.objects.count() == 1


def test_pending_sweep_processes_orphaned_mail(email_inbox: Inbox) -> None:
    orphan = receive(make_raw_email(subject="Orphan"))
    fresh = receive(make_raw_email(subject="Fresh"))
    RawEmail.objects.filter(pk=orphan.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    assert raw_email_process_pending(limit=10) == 1

    assert Conversation.objects.get().subject == "Orphan"
    fresh.refresh_from_db()
    assert fresh.state == RawEmailState.RECEIVED


def test_auto_reply_is_kept_and_marked(email_inbox: Inbox) -> None:
    raw = make_raw_email(subject="Out of office", headers=[("Auto-Submitted", "auto-replied")])

    raw_email = receive_and_process(raw)

    assert raw_email.kind == RawEmailKind.AUTO_REPLY
    assert raw_email.state == RawEmailState.PROCESSED
    assert Message.objects.get().channel_metadata["automatic"] == RawEmailKind.AUTO_REPLY


def test_auto_reply_to_our_mail_threads(email_inbox: Inbox) -> None:
    conversation = create_conversation(inbox=email_inbox)
    outbound = create_outbound_email(conversation=conversation)
    raw = make_raw_email(
        subject="Auto: Re: your order",
        in_reply_to=outbound.header_message_id,
        headers=[("Auto-Submitted", "auto-replied")],
    )

    receive_and_process(raw)

    assert Conversation.objects.count() == 1
    assert conversation.messages.count() == 2


# --- bounces ---------------------------------------------------------------------------------


def test_bounce_marks_our_outbound_mail_bounced(email_inbox: Inbox, agent: User) -> None:
    conversation = create_conversation(inbox=email_inbox)
    reply = message_reply(conversation=conversation, author=agent, content=MessageContent("Hi"))
    outbound = create_outbound_email(
        conversation=conversation, message=reply, header_message_id="<reply-1@storedesk.invalid>"
    )

    raw_email = receive_and_process(make_dsn(original_message_id="<reply-1@storedesk.invalid>"))

    assert (raw_email.state, raw_email.kind) == (RawEmailState.IGNORED, RawEmailKind.BOUNCE)
    outbound.refresh_from_db()
    assert outbound.state == OutboundState.BOUNCED
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.BOUNCED
    assert reply.channel_metadata["bounce"]["recipient"].endswith("kim@example.com")
    assert Conversation.objects.count() == 1
    assert conversation.messages.count() == 2  # the first message and the reply, no more


def test_bounce_of_unknown_mail_is_ignored(email_inbox: Inbox) -> None:
    raw_email = receive_and_process(make_dsn(original_message_id="<not-ours@example.com>"))

    assert (raw_email.state, raw_email.kind) == (RawEmailState.IGNORED, RawEmailKind.BOUNCE)
    assert "not one of ours" in raw_email.reason
    assert Conversation.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


# The corpus's bounce folder also holds an abuse report and a message that is no bounce.
REAL_BOUNCES = [
    param
    for param in shared_data_files("emails/bounce")
    if not any(word in str(param.id) for word in ("is-not-bounce", "arf"))
]


@pytest.mark.parametrize("path", REAL_BOUNCES)
def test_real_bounces_never_become_conversations(email_inbox: Inbox, path: Path) -> None:
    raw = path.read_bytes()

    raw_email = receive_and_process(raw)

    assert raw_email.state in (RawEmailState.IGNORED, RawEmailState.QUARANTINED)
    assert Conversation.objects.count() == 0


def test_mail_in_another_brand_never_joins_its_conversations(email_inbox: Inbox) -> None:
    other_inbox = create_inbox(brand=create_brand(), address="help@other.example")
    other = create_conversation(inbox=other_inbox)
    outbound = create_outbound_email(conversation=other)

    receive_and_process(make_raw_email(in_reply_to=outbound.header_message_id))

    assert other.messages.count() == 1
    assert Conversation.objects.get(inbox=email_inbox).messages.count() == 1
