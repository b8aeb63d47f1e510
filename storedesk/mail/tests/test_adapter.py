"""The email ChannelAdapter: agents' replies leave as threaded mail through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from storedesk.accounts.models import User
from storedesk.conversations.enums import DeliveryStatus
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.services.delivery import message_deliver
from storedesk.conversations.services.messages import MessageContent, message_reply
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.models import Customer
from storedesk.inboxes.channels import channel_adapter_for
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox, InboxAddress
from storedesk.mail.adapter import EmailChannelAdapter, reply_subject
from storedesk.mail.enums import IntakeSource
from storedesk.mail.models import OutboundEmail, RawEmail, RawEmailDelivery, ReplyToken
from storedesk.mail.tests.outbox_smtp import SmtpSink

pytestmark = pytest.mark.django_db
Capture = Callable[..., AbstractContextManager[Any]]




@pytest.fixture
def conversation(email_inbox: Inbox, customer: Customer) -> Conversation:
    email_inbox.brand.sender_name = "Lamp Shop"
    email_inbox.brand.save()
    InboxAddress.objects.create(inbox=email_inbox, email="help@shop.example")  # an alias
    return create_conversation(inbox=email_inbox, customer=customer, subject="Where is my lamp?")


def _received_by_mail(conversation: Conversation, message_id: str) -> None:
    """Record the conversation's first message as having come in as a mail."""
    first = conversation.messages.order_by("sequence").first()
    raw_email = RawEmail.objects.create(
        dedupe_key=f"mid:{message_id}",
        header_message_id=message_id,
        raw=b"",
        size=0,
        source=IntakeSource.SMTP,
    )
    RawEmailDelivery.objects.create(
        raw_email=raw_email,
        inbox=conversation.inbox,
        recipient="support@shop.example",
        message=first,
    )


def _reply(conversation: Conversation, agent: User, capture: Capture, **content: Any) -> Message:
    with capture(execute=True):
        message = message_reply(
            conversation=conversation,
            author=agent,
            content=MessageContent(**({"text": "Your lamp ships today."} | content)),
        )
    message.refresh_from_db()
    return message


def test_registered_for_email_only() -> None:
    assert isinstance(channel_adapter_for(Channel.EMAIL), EmailChannelAdapter)
    assert channel_adapter_for(Channel.WEB_FORM) is None


def test_reply_leaves_as_a_threaded_mail_from_the_inbox(
    conversation: Conversation,
    agent: User,
    smtp: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _received_by_mail(conversation, "<kim-1@example.com>")
    photo = SimpleUploadedFile("lamp.png", b"\x89PNG fake", content_type="image/png")

    message = _reply(
        conversation,
        agent,
        django_capture_on_commit_callbacks,
        cc=["ola@example.com"],
        files=[photo],
    )

    token = ReplyToken.objects.get(conversation=conversation).token
    outbound = OutboundEmail.objects.get(message=message)
    [received] = smtp.received
    parsed = received.parsed()
    assert received.content == bytes(outbound.raw)
    assert received.rcpt_tos == ["kim@example.com", "ola@example.com"]
    assert parsed["From"] == "Lamp Shop <support@shop.example>"
    assert parsed["To"] == "kim@example.com"
    assert parsed["Cc"] == "ola@example.com"
    assert parsed["Reply-To"] == f"support+{token}@shop.example"
    assert parsed["Subject"] == f"Re: Where is my lamp? [#{conversation.number}]"
    assert parsed["In-Reply-To"] == "<kim-1@example.com>"
    assert parsed["References"] == "<kim-1@example.com>"
    assert parsed["Message-ID"] == outbound.header_message_id
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "Your lamp ships today." in text.get_content()
    assert "/portal/status/" in text.get_content()
    assert "Your lamp ships today." in html.get_content()
    [attachment] = list(parsed.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("lamp.png", b"\x89PNG fake")
    assert (outbound.conversation_id, message.delivery_status) == (
        conversation.pk,
        DeliveryStatus.SENT,
    )


def test_the_token_is_made_once_and_replies_chain(
    conversation: Conversation,
    agent: User,
    smtp: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _received_by_mail(conversation, "kim-1@example.com")
    first = _reply(conversation, agent, django_capture_on_commit_callbacks)
    second = _reply(conversation, agent, django_capture_on_commit_callbacks, text="Tracking: 123")

    token = ReplyToken.objects.get(conversation=conversation).token
    assert len(token) == 8
    assert token.isalnum()
    assert token.isupper()
    one, two = (m.parsed() for m in smtp.received)
    assert one["Reply-To"] == two["Reply-To"] == f"support+{token}@shop.example"
    first_id = OutboundEmail.objects.get(message=first).header_message_id
    assert two["In-Reply-To"] == "<kim-1@example.com>"
    assert two["References"] == f"<kim-1@example.com> {first_id}"
    assert OutboundEmail.objects.get(message=second).header_message_id == two["Message-ID"]


def test_a_conversation_without_mail_yet_has_no_in_reply_to(
    conversation: Conversation,
    agent: User,
    smtp: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _reply(conversation, agent, django_capture_on_commit_callbacks)

    parsed = smtp.received[0].parsed()
    assert parsed["In-Reply-To"] is None
    assert parsed["References"] is None


def test_delivering_twice_queues_one_mail(
    conversation: Conversation, agent: User, smtp: SmtpSink
) -> None:
    message = message_reply(
        conversation=conversation, author=agent, content=MessageContent(text="Hello")
    )
    adapter = EmailChannelAdapter()

    assert adapter.deliver(message) == DeliveryStatus.QUEUED
    assert adapter.deliver(message) == DeliveryStatus.QUEUED
    message_deliver(message=message)

    assert OutboundEmail.objects.filter(message=message).count() == 1
    assert ReplyToken.objects.count() == 1
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.QUEUED  # until the server's 250


def test_a_customer_without_an_address_fails_delivery(
    conversation: Conversation, agent: User, customer: Customer, smtp: SmtpSink
) -> None:
    customer.identities.all().delete()
    message = message_reply(
        conversation=conversation, author=agent, content=MessageContent(text="Hello")
    )

    message_deliver(message=message)

    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Where is my lamp?", "Re: Where is my lamp? [#1042]"),
        ("Re: Where is my lamp?", "Re: Where is my lamp? [#1042]"),
        ("RE: AW: Sv: Where is my lamp? [#1042]", "Re: Where is my lamp? [#1042]"),
        ("Re[2]: Ответ: Лампа", "Re: Лампа [#1042]"),
    ],
)
def test_reply_subject_does_not_stack(subject: str, expected: str) -> None:
    assert reply_subject(Conversation(subject=subject, number=1042)) == expected


def test_the_signature_message_reply_added_is_sent_once(
    conversation: Conversation,
    agent: User,
    smtp: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    conversation.inbox.signature = "Lamp Shop customer service"
    conversation.inbox.save()

    _reply(conversation, agent, django_capture_on_commit_callbacks)

    text = smtp.received[0].parsed().get_body(preferencelist=("plain",))
    assert text is not None
    assert text.get_content().count("Lamp Shop customer service") == 1
