"""Deliveries: one per inbox a mail reached, linked to the message it became there.

A batch (`raw_emails_take_in`) writes a new mail's deliveries only after processing, each
with its message, so these tests check that none goes missing whatever became of the mail,
and that the check "did this mail also reach that inbox?" still sees the unwritten ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError

from storedesk.conversations.models import Conversation
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.mail import intake
from storedesk.mail.autoreply_send import auto_reply_send
from storedesk.mail.enums import IntakeSource, OutboundKind, RawEmailState
from storedesk.mail.intake_batch import InboundMail, raw_emails_take_in
from storedesk.mail.models import OutboundEmail, RawEmail, RawEmailDelivery
from storedesk.mail.tests.factories import make_raw_email, receive_and_process

pytestmark = pytest.mark.django_db

BOTH = ("support@shop.example", "sales@shop.example")


@pytest.fixture
def sales(email_inbox: Inbox) -> Inbox:
    return create_inbox(brand=email_inbox.brand, name="Sales", address="sales@shop.example")


def take_in(raw: bytes, *recipients: str, envelope_from: str = "kim@example.com") -> None:
    raw_emails_take_in(
        mails=[InboundMail(raw=raw, recipients=recipients, envelope_from=envelope_from)],
        source=IntakeSource.IMAP,
    )


def process_singly(raw: bytes, *recipients: str) -> None:
    receive_and_process(raw, *recipients, envelope_from="kim@example.com")


def deliveries() -> list[tuple[str, int | None]]:
    """(recipient, the conversation its message is in), by recipient."""
    return sorted(
        (delivery.recipient, delivery.message.conversation_id if delivery.message else None)
        for delivery in RawEmailDelivery.objects.select_related("message")
    )


def test_a_batch_writes_each_inbox_delivery_with_its_message(
    email_inbox: Inbox, sales: Inbox
) -> None:
    take_in(make_raw_email(to=BOTH), *BOTH)

    support_conversation = Conversation.objects.get(inbox=email_inbox)
    sales_conversation = Conversation.objects.get(inbox=sales)
    assert deliveries() == [
        ("sales@shop.example", sales_conversation.pk),
        ("support@shop.example", support_conversation.pk),
    ]
    assert RawEmail.objects.get().state == RawEmailState.PROCESSED


def test_a_batch_writes_the_deliveries_of_a_quarantined_mail_for_its_reprocessing(
    email_inbox: Inbox, sales: Inbox
) -> None:
    """Parsed, then refused (no sender): the envelope recipients must survive for an admin's
    Re-process, since the headers may not name them (Bcc)."""
    take_in(make_raw_email(from_="", to=["someone@example.org"]), *BOTH, envelope_from="")

    assert RawEmail.objects.get().state == RawEmailState.QUARANTINED
    assert deliveries() == [("sales@shop.example", None), ("support@shop.example", None)]


def test_a_batch_quarantines_a_mail_failing_in_its_second_inbox_with_nothing_half_done(
    email_inbox: Inbox, sales: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_thread_for = intake._thread_for

    def thread_failing_for_sales(context: object, inbox: Inbox, customer: object) -> object:
        if inbox.pk == sales.pk:
            raise RuntimeError("a bug")  # after support's conversation was opened
        return real_thread_for(context, inbox, customer)  # type: ignore[arg-type]

    monkeypatch.setattr(intake, "_thread_for", thread_failing_for_sales)
    take_in(make_raw_email(to=BOTH), *BOTH)

    raw_email = RawEmail.objects.get()
    assert raw_email.state == RawEmailState.QUARANTINED
    assert raw_email.reason.startswith("processing failed: RuntimeError")
    assert Conversation.objects.count() == 0
    assert deliveries() == [("sales@shop.example", None), ("support@shop.example", None)]


def test_a_batch_writes_the_deliveries_of_a_mail_whose_processing_rolled_back(
    email_inbox: Inbox, sales: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def acknowledging_failing_for_sales(*, conversation: Conversation, **kwargs: Any) -> object:
        if conversation.inbox_id == sales.pk:
            raise DatabaseError("disk full")  # after support's delivery got its message
        return auto_reply_send(conversation=conversation, **kwargs)

    monkeypatch.setattr(intake, "auto_reply_send", acknowledging_failing_for_sales)
    take_in(make_raw_email(to=BOTH), *BOTH)

    raw_email = RawEmail.objects.get()
    assert raw_email.state == RawEmailState.RECEIVED
    assert Conversation.objects.count() == 0
    assert deliveries() == [("sales@shop.example", None), ("support@shop.example", None)]

    monkeypatch.setattr(intake, "auto_reply_send", auto_reply_send)
    intake.raw_email_process(raw_email=raw_email)  # what the task enqueued does

    assert {conversation for _, conversation in deliveries()} == set(
        Conversation.objects.values_list("pk", flat=True)
    )
    assert Conversation.objects.count() == 2


def test_a_batch_delivers_a_second_copy_of_a_mail_to_the_inbox_the_first_missed(
    email_inbox: Inbox, sales: Inbox
) -> None:
    """The batch writes the first copy's PROCESSED at its end; the second copy, for sales,
    must still be delivered, and the mail end PROCESSED with nothing waiting."""
    raw = make_raw_email(to=BOTH, message_id="<copies@example.com>")
    raw_emails_take_in(
        mails=[
            InboundMail(raw=raw, recipients=["support@shop.example"]),
            InboundMail(raw=raw, recipients=["sales@shop.example"]),
        ],
        source=IntakeSource.IMAP,
    )

    assert RawEmail.objects.get().state == RawEmailState.PROCESSED
    assert [conversation is not None for _, conversation in deliveries()] == [True, True]
    assert Conversation.objects.filter(inbox=sales).count() == 1


@pytest.mark.parametrize("intake_step", [take_in, process_singly], ids=["batch", "single"])
def test_a_reply_copied_to_another_inbox_opens_its_own_conversation_there(
    email_inbox: Inbox, sales: Inbox, intake_step: Callable[..., None]
) -> None:
    """The reply names our acknowledgement from support; its copy for sales must not join
    support's conversation, which support's own delivery continues."""
    intake_step(make_raw_email(), "support@shop.example")
    acknowledgement = OutboundEmail.objects.get(kind=OutboundKind.AUTO_REPLY)
    reply = make_raw_email(to=BOTH, in_reply_to=acknowledgement.header_message_id)

    intake_step(reply, *BOTH)

    first = Conversation.objects.get(inbox=email_inbox)
    assert first.messages.count() == 2
    sales_conversation = Conversation.objects.get(inbox=sales)
    assert sales_conversation.messages.count() == 1
