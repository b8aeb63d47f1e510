"""The outbox: outbound mail is built once and stored in the caller's transaction.

`outbound_email_enqueue` writes one `OutboundEmail` row holding the finished RFC 5322
bytes (with a stable Message-ID), so the mail commits together with whatever decided it
(an agent's reply, a notification) or not at all. Sending happens after commit in
`storedesk.mail.outbox_send`; every retry sends exactly the stored bytes. (Acknowledgements
are recorded due and built by the first send: `storedesk.mail.autoreply_send`.)

`OutboxMailPort` is core's outbound-mail port backed by this outbox: set
STOREDESK_OUTBOUND_MAIL_PORT = "storedesk.mail.outbox.OutboxMailPort".
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, getaddresses, parseaddr

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from storedesk.conversations.models import Conversation, Message
from storedesk.core.inserts import row_insert
from storedesk.core.mail import OutboundAttachment, OutboundMail
from storedesk.core.tasks import enqueue_on_commit_gathered
from storedesk.mail.enums import OutboundKind
from storedesk.mail.models import OutboundEmail

# RFC 3834: a reply to a message is "auto-replied"; anything else we send on our own
# (notifications, health probes) is "auto-generated". Agents' replies carry neither.
AUTO_SUBMITTED: dict[str, str] = {
    OutboundKind.AUTO_REPLY: "auto-replied",
    OutboundKind.NOTIFICATION: "auto-generated",
    OutboundKind.PROBE: "auto-generated",
}
# Headers the outbox owns: a caller's `headers` cannot replace them.
RESERVED_HEADERS = frozenset({"message-id", "date", "from", "to", "cc", "subject"})
MAX_LINE = 78
ID_HEADERS = frozenset({"message-id", "in-reply-to", "references"})
# RFC 5322 suggests trimming long References; keep the first and the most recent ones.
REFERENCES_MAX = 20


@dataclass(frozen=True)
class OutboundDraft:
    """Everything that goes into one outbound message's bytes."""

    kind: str
    mail_from: str
    to: Sequence[str]
    subject: str
    text: str
    html: str = ""
    cc: Sequence[str] = ()
    reply_to: Sequence[str] = ()
    in_reply_to: str = ""
    references: Sequence[str] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    attachments: Sequence[OutboundAttachment] = ()

    def envelope_recipients(self) -> list[str]:
        """Bare addresses of To and Cc, without duplicates, in order."""
        result: list[str] = []
        seen: set[str] = set()
        for _name, address in getaddresses([*self.to, *self.cc]):
            if address and address.lower() not in seen:
                seen.add(address.lower())
                result.append(address)
        return result


class _OutboundPolicy(EmailPolicy):
    """SMTP line ends; Message-ID, In-Reply-To and References folded only between ids.

    The standard folder would turn a long id into RFC 2047 encoded-words, which no
    client can match any more, so these headers are written as they are, one id per
    line when they do not fit in 78 characters.
    """

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() not in ID_HEADERS:
            return super().fold_binary(name, value)
        ids = str(value).split()
        one_line = f"{name}: {' '.join(ids)}"
        limit = self.max_line_length or MAX_LINE
        separator = " " if len(one_line) <= limit else f"{self.linesep} "
        return f"{name}: {separator.join(ids)}{self.linesep}".encode("ascii")


OUTBOUND_POLICY = _OutboundPolicy(linesep="\r\n")


def message_id_make() -> str:
    """A new, globally unique Message-ID in our own domain, with angle brackets."""
    return f"<{uuid.uuid4().hex}@{settings.MAIL_MESSAGE_ID_DOMAIN}>"


def message_id_normalize(value: str) -> str:
    """`<id@host>` for a Message-ID written with or without angle brackets.

    "" for an empty or unusable id (whitespace or non-ASCII inside): such an id cannot be
    written into our headers and no client could match it.
    """
    bare = value.strip().strip("<>").strip()
    if not bare or not bare.isascii() or any(c.isspace() for c in bare):
        return ""
    return f"<{bare}>"


def _references_header(references: Sequence[str]) -> str:
    ids = [mid for mid in (message_id_normalize(r) for r in references) if mid]
    unique = list(dict.fromkeys(ids))
    if len(unique) > REFERENCES_MAX:
        unique = [unique[0], *unique[-(REFERENCES_MAX - 1) :]]
    return " ".join(unique)


def _headers_set(message: EmailMessage, draft: OutboundDraft, *, message_id: str) -> None:
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(timezone.now())
    message["From"] = draft.mail_from
    message["To"] = ", ".join(draft.to)
    if draft.cc:
        message["Cc"] = ", ".join(draft.cc)
    if draft.reply_to:
        message["Reply-To"] = ", ".join(draft.reply_to)
    message["Subject"] = draft.subject
    in_reply_to = message_id_normalize(draft.in_reply_to)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    references = _references_header(draft.references)
    if references:
        message["References"] = references
    if draft.kind in AUTO_SUBMITTED:
        message["Auto-Submitted"] = AUTO_SUBMITTED[draft.kind]
        message["X-Auto-Response-Suppress"] = "All"
    for name, value in draft.headers.items():
        if name.lower() in RESERVED_HEADERS:
            continue
        del message[name]
        message[name] = value


def _body_set(message: EmailMessage, draft: OutboundDraft) -> None:
    message.set_content(draft.text)
    if draft.html:
        message.add_alternative(draft.html, subtype="html")
    for attachment in draft.attachments:
        maintype, _slash, subtype = attachment.content_type.partition("/")
        if not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )


def mime_build(draft: OutboundDraft, *, message_id: str) -> bytes:
    """The finished message: text (+ HTML alternative) (+ attachments), CRLF line ends.

    Headers are RFC 2047-encoded where needed, so the bytes are 7-bit clean and need no
    SMTPUTF8 from the server.
    """
    message = EmailMessage(policy=OUTBOUND_POLICY)
    _headers_set(message, draft, message_id=message_id)
    _body_set(message, draft)
    return message.as_bytes()


def _outbound_create(
    draft: OutboundDraft,
    *,
    message: Message | None,
    conversation: Conversation | None,
    now: datetime,
) -> OutboundEmail:
    message_id = message_id_make()
    recipients = draft.envelope_recipients()
    return row_insert(
        OutboundEmail(
            kind=draft.kind,
            message=message,
            conversation=conversation,
            header_message_id=message_id,
            mail_from=parseaddr(draft.mail_from)[1],
            recipients=recipients,
            recipient_key=recipients[0].lower() if recipients else "",
            raw=mime_build(draft, message_id=message_id),
            next_attempt_at=now,
        )
    )


def outbound_email_enqueue(
    *,
    kind: str,
    mail_from: str,
    recipients: Sequence[str],
    subject: str,
    text: str,
    html: str = "",
    cc: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    attachments: Sequence[OutboundAttachment] = (),
    in_reply_to: str = "",
    references: Sequence[str] = (),
    reply_to: Sequence[str] = (),
    message: Message | None = None,
    conversation: Conversation | None = None,
) -> OutboundEmail:
    """Build the mail once and put it in the outbox, in the caller's transaction.

    `mail_from` is the From header ("Shop <support@shop.example>"); its bare address is
    the envelope sender. `recipients` go in To, `cc` in Cc; both receive it. Automatic
    kinds (auto-reply, notification, probe) carry Auto-Submitted and
    X-Auto-Response-Suppress: All.

    Idempotent per `message`: a message already in the outbox returns its existing row
    (the one-to-one constraint decides, not the lookup). Side effects: one OutboundEmail
    row; `outbox_send_task` enqueued after commit.
    """
    draft = OutboundDraft(
        kind=kind,
        mail_from=mail_from,
        to=list(recipients),
        subject=subject,
        text=text,
        html=html,
        cc=list(cc),
        reply_to=list(reply_to),
        in_reply_to=in_reply_to,
        references=list(references),
        headers=dict(headers or {}),
        attachments=list(attachments),
    )
    if message is not None:
        existing = OutboundEmail.objects.filter(message=message).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            outbound = _outbound_create(
                draft, message=message, conversation=conversation, now=timezone.now()
            )
    except IntegrityError:
        if message is None:
            raise
        return OutboundEmail.objects.get(message=message)  # a concurrent delivery won
    send_task_enqueue(outbound)
    return outbound


def send_task_enqueue(outbound: OutboundEmail) -> None:
    # Imported here: tasks.py imports the sending side, which other mail modules import.
    from storedesk.mail.tasks import outbox_send_task

    enqueue_on_commit_gathered(outbox_send_task, outbound.pk)


class OutboxMailPort:
    """Core's outbound-mail port backed by the durable outbox (kind NOTIFICATION).

    Every `outbound_mail_send` (portal magic links, reply notifications, order mail)
    becomes an outbox row in the caller's transaction, sent with retries after commit.
    """

    def send(self, mail: OutboundMail) -> None:
        outbound_email_enqueue(
            kind=OutboundKind.NOTIFICATION,
            mail_from=mail.from_email or settings.DEFAULT_FROM_EMAIL,
            recipients=mail.to,
            cc=mail.cc,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            headers=mail.headers,
            attachments=mail.attachments,
            reply_to=mail.reply_to,
        )
