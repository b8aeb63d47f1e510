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
from storedesk.inboxes.models import Inbox
from storedesk.mail.enums import ImapSecurity, IntakeSource, OutboundKind, OutboundState
from storedesk.mail.intake import raw_email_process
from storedesk.mail.intake_store import raw_email_receive
from storedesk.mail.models import ImapAccount, InboundWebhook, OutboundEmail, RawEmail, ReplyToken
from storedesk.mail.tests.dovecot import PASSWORD, DovecotServer

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


def make_dsn(*, original_message_id: str, recipient: str = "kim@example.com") -> bytes:
    """A delivery status notification: our `original_message_id` to `recipient` failed (5.1.1)."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.shop.example>\r\n"
        "To: support@shop.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.shop.example>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n"
        "--B\r\n"
        "Content-Type: text/plain\r\n\r\n"
        f"Your message to {recipient} could not be delivered.\r\n"
        "--B\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.shop.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "--B\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original_message_id}\r\n"
        "From: support@shop.example\r\n"
        f"To: {recipient}\r\n"
        "Subject: Re: Parcel missing\r\n"
        "--B--\r\n"
    ).encode()


def receive(raw: bytes, *recipients: str, envelope_from: str = "") -> RawEmail:
    """Mail as the SMTP receiver stores it, to support@shop.example unless `recipients`."""
    return raw_email_receive(
        raw=raw,
        source=IntakeSource.SMTP,
        recipients=list(recipients or ["support@shop.example"]),
        envelope_from=envelope_from,
    )


def receive_and_process(raw: bytes, *recipients: str, envelope_from: str = "") -> RawEmail:
    """`receive`, then the processing its task would do, read back from the database."""
    raw_email = receive(raw, *recipients, envelope_from=envelope_from)
    raw_email_process(raw_email=raw_email)
    raw_email.refresh_from_db()
    return raw_email


def create_imap_account(
    server: DovecotServer, *, user: str, inbox: Inbox, **fields: object
) -> ImapAccount:
    """An account for `user` on the test session's Dovecot (plain IMAP); `fields` override."""
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server.port,
        "security": ImapSecurity.NONE,
        "username": user,
        "password": PASSWORD,
    }
    values.update(fields)
    return ImapAccount.objects.create(inbox=inbox, **values)
