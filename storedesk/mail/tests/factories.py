"""Plain-function factories for the email channel's tests (STYLE.md 3.6)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from storedesk.conversations.models import Conversation, Message
from storedesk.mail.enums import OutboundKind, OutboundState
from storedesk.mail.models import InboundWebhook, OutboundEmail, ReplyToken

_counter = itertools.count(1)
WEBHOOK_SECRET = "s3cret-for-tests"


def make_raw_email(
    *,
    from_: str = "Kim Lee <kim@example.com>",
    to: Sequence[str] = ("support@shop.example",),
    cc: Sequence[str] = (),
    subject: str = "Where is my order?",
    body: str = "Hello, my parcel has not arrived.",
    message_id: str | None = "",
    in_reply_to: str = "",
    references: Sequence[str] = (),
    headers: Sequence[tuple[str, str]] = (),
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """A raw RFC 5322 message with CRLF line ends, as it travels over SMTP.

    `message_id=None` leaves the header out, "" makes one up.
    """
    n = next(_counter)
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = from_
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    if message_id is not None:
        message["Message-ID"] = message_id or f"<test-{n}-{timezone.now().timestamp()}@example.com>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    for name, value in headers:
        message[name] = value
    message.set_content(body)
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def create_outbound_email(
    *,
    conversation: Conversation,
    message: Message | None = None,
    header_message_id: str = "",
    recipients: Sequence[str] = ("kim@example.com",),
    state: str = OutboundState.SENT,
) -> OutboundEmail:
    n = next(_counter)
    return OutboundEmail.objects.create(
        kind=OutboundKind.REPLY,
        message=message,
        conversation=conversation,
        header_message_id=header_message_id or f"<out-{n}@storedesk.invalid>",
        mail_from="support@shop.example",
        recipients=list(recipients),
        recipient_key=recipients[0] if recipients else "",
        raw=b"",
        state=state,
        next_attempt_at=timezone.now() - timedelta(minutes=1),
    )


def create_reply_token(*, conversation: Conversation, token: str = "") -> ReplyToken:
    return ReplyToken.objects.create(
        conversation=conversation, token=token or f"TK{next(_counter):05d}"
    )


def create_inbound_webhook(*, inbox_id: int, secret: str = WEBHOOK_SECRET) -> InboundWebhook:
    return InboundWebhook.objects.create(inbox_id=inbox_id, secret=secret)
