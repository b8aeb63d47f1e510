"""Sending the acknowledgement of a new conversation, without ever feeding a mail loop.

`auto_reply_send` runs in the transaction that opened the conversation (intake for email,
`contact_request_submit` for the web form), so the outbox row commits with the
conversation or not at all. It decides *whether* to answer and records the
acknowledgement as due: an OutboundEmail with its Message-ID, recipient and the promised
time (`storedesk.routing.selectors.expected_first_response_at`, the backlog of now) in
`draft`, and no bytes. `auto_reply_build`, called by the outbox when it first sends the
row, writes the words (`storedesk.mail.autoreply.auto_reply_compose`), the reply token
and the MIME, outside the intake's transaction (composing is most of an
acknowledgement's cost, and intake holds the batch's write lock).

Never answered (RFC 3834 section 2 and the issue's list): automatic mail (the intake's
verdict, `RawEmail.kind` and `Message.channel_metadata["automatic"]`, and
`loops.automatic_kind` again on the parsed mail), an empty envelope sender, a machine or
no-reply sender, one of our own addresses, a spam conversation (blocked customer), and a
sender who already got `AUTO_REPLY_LIMIT` acknowledgements within
`AUTO_REPLY_WINDOW_SECONDS`. The count is exact under concurrency: `conversation_open`
takes the conversation counter's row lock first, so openers (and their counts) are
serialised until commit.

From: the inbox's primary address under the brand's sender name, with the conversation's
reply token in Reply-To, so an answer to the acknowledgement threads back. An inbox with
no address (the web form) sends as the brand (`Brand.from_email`), like the web form's
reply notifications, without Reply-To; the subject's `[#number]` and the status link lead
back to the conversation.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from typing import TypedDict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from storedesk.conversations.enums import ConversationStatus, MessageKind
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.services.deferred import insert_or_defer, rows_deferred
from storedesk.mail.adapter import _sender_address, plus_address, reply_token_get_or_create
from storedesk.mail.autoreply import auto_reply_compose
from storedesk.mail.enums import IntakeSource, OutboundKind, RawEmailKind
from storedesk.mail.intake_cache import intake_cache
from storedesk.mail.loops import automatic_kind
from storedesk.mail.mime import ParsedEmail, UnparseableEmail, parse_email
from storedesk.mail.models import OutboundEmail, RawEmail
from storedesk.mail.outbox import (
    OutboundDraft,
    message_id_make,
    message_id_normalize,
    mime_build,
    send_task_enqueue,
)
from storedesk.mail.outbox_transport import SendError
from storedesk.routing.selectors import expected_first_response_at

logger = logging.getLogger(__name__)

# Local parts of addresses no person reads: answering them at best wastes a mail, at worst
# starts a loop with another robot ("noreply", "no-reply+x", "bounces-123", "do_not_reply").
_MACHINE_LOCAL_PART = re.compile(
    r"^(?:mailer-daemon|postmaster|(?:do[-_.]?not[-_.]?|no[-_.]?)reply|bounces?)(?:[-+._].*)?$",
    re.IGNORECASE,
)
# Receivers that hear the SMTP envelope: there "" as well as "<>" is the null sender.
_ENVELOPE_SOURCES = frozenset({IntakeSource.SMTP, IntakeSource.LMTP})


def auto_reply_send(
    *,
    conversation: Conversation,
    raw_email: RawEmail | None = None,
    parsed: ParsedEmail | None = None,
    recipient: str = "",
    now: datetime | None = None,
    kind: RawEmailKind | None = None,
) -> OutboundEmail | None:
    """Queue the acknowledgement of a just-opened conversation; None when not to answer.

    `raw_email` (and `parsed`, its parsed form, when the caller already has it) is the
    customer's mail for email conversations; None for the web form. The recipient is
    `recipient` (the address typed into the web form), else the mail's From address, else
    the customer's primary address. `now` (default: the clock) sets the promised time and
    the end of the rate window. `kind` is the intake's verdict on `raw_email`, passed by the
    intake, which has just classified the mail and opened the conversation in this
    transaction: the automatic and already-sent checks then trust it instead of reading the
    conversation back.

    Side effects: one OutboundEmail (kind AUTO_REPLY, due: bytes built by
    `auto_reply_build` when first sent) in the caller's transaction (at the end of an open
    `inserts_deferred` block, then returned without a pk) and `outbox_send_task` after
    commit; logs `mail.autoreply.sent`, or `mail.autoreply.skipped` with the reason.
    At most one acknowledgement per conversation.
    """
    now = now or timezone.now()
    if raw_email is not None and parsed is None:
        parsed = _parse(raw_email)
    recipient = (recipient or _recipient(conversation, parsed)).strip().lower()
    reason = auto_reply_skip_reason(
        conversation=conversation,
        raw_email=raw_email,
        parsed=parsed,
        recipient=recipient,
        now=now,
        kind=kind,
    )
    if reason:
        logger.info(
            "mail.autoreply.skipped",
            extra={"conversation_id": conversation.pk, "recipient": recipient, "reason": reason},
        )
        return None
    outbound = _record_due(conversation, recipient=recipient, parsed=parsed, now=now)
    logger.info(
        "mail.autoreply.sent",
        extra={"conversation_id": conversation.pk, "outbound_email_id": outbound.pk},
    )
    return outbound


def auto_reply_skip_reason(
    *,
    conversation: Conversation,
    raw_email: RawEmail | None,
    parsed: ParsedEmail | None,
    recipient: str,
    now: datetime,
    kind: RawEmailKind | None = None,
) -> str:
    """Why this conversation gets no acknowledgement ("" when it should get one). Reads only.

    `kind`: see auto_reply_send.

    One of: spam, imported, no_address, automatic, null_sender, machine_sender,
    our_address, already_sent, rate_limited.
    """
    if conversation.status == ConversationStatus.SPAM or conversation.customer.is_blocked:
        return "spam"
    if raw_email is not None and raw_email.source == IntakeSource.IMPORT:
        return "imported"  # old mail moved from another desk was answered there long ago
    if "@" not in recipient:
        return "no_address"
    if kind is not None and kind != RawEmailKind.PERSONAL:
        return "automatic"
    if kind is None and _is_automatic(conversation, raw_email, parsed):
        return "automatic"
    if raw_email is not None and _null_envelope_sender(raw_email, parsed):
        return "null_sender"
    if _MACHINE_LOCAL_PART.match(recipient.rpartition("@")[0]):
        return "machine_sender"
    if _is_ours(conversation, recipient):
        return "our_address"
    if kind is None and (
        OutboundEmail.objects.filter(
            conversation=conversation, kind=OutboundKind.AUTO_REPLY
        ).exists()
    ):
        return "already_sent"
    if auto_reply_recent_count(recipient=recipient, now=now) >= settings.AUTO_REPLY_LIMIT:
        return "rate_limited"
    return ""


def auto_reply_recent_count(*, recipient: str, now: datetime) -> int:
    """Acknowledgements `recipient` got within the window ending `now` (settings read now),
    those of the intake batch still to be inserted included (the stored ones as the batch
    read them at its start, intake_cache)."""
    since = now - timedelta(seconds=settings.AUTO_REPLY_WINDOW_SECONDS)
    key = recipient.lower()
    waiting = sum(
        row.recipient_key == key and row.kind == OutboundKind.AUTO_REPLY
        for row in rows_deferred(OutboundEmail)
    )
    cache = intake_cache()
    if cache is not None and key in cache.recent_replies:
        return cache.recent_replies[key] + waiting
    stored = OutboundEmail.objects.filter(
        recipient_key=key, kind=OutboundKind.AUTO_REPLY, created_at__gt=since
    ).count()
    return stored + waiting


def _parse(raw_email: RawEmail) -> ParsedEmail | None:
    if "raw" in raw_email.get_deferred_fields():
        raw_email.refresh_from_db(fields=["raw"])
    try:
        return parse_email(bytes(raw_email.raw))
    except UnparseableEmail:
        return None


def _recipient(conversation: Conversation, parsed: ParsedEmail | None) -> str:
    address = parsed.from_address if parsed is not None else ""
    return (address or conversation.customer.primary_email or "").strip().lower()


def _is_automatic(
    conversation: Conversation, raw_email: RawEmail | None, parsed: ParsedEmail | None
) -> bool:
    """The intake's verdict (stored on the RawEmail and the message), or the headers' now."""
    if raw_email is not None and raw_email.kind != RawEmailKind.PERSONAL:
        return True
    first = (
        Message.objects.filter(conversation=conversation, kind=MessageKind.INBOUND)
        .order_by("sequence")
        .values_list("channel_metadata", flat=True)
        .first()
    )
    if isinstance(first, dict) and first.get("automatic"):
        return True
    if parsed is None:
        return raw_email is not None  # an unreadable mail is not answered
    return (
        automatic_kind(
            parsed,
            our_addresses=_our_addresses([parsed.from_address, *parsed.reply_to]),
            our_message_id_domain=settings.MAIL_MESSAGE_ID_DOMAIN,
        )
        is not None
    )


def _null_envelope_sender(raw_email: RawEmail, parsed: ParsedEmail | None) -> bool:
    """MAIL FROM:<> (RFC 5321: never answer), from the envelope or a Return-Path header."""
    envelope = raw_email.envelope_from.strip()
    if envelope == "<>" or (not envelope and raw_email.source in _ENVELOPE_SOURCES):
        return True
    paths = parsed.headers.get_all("Return-Path") if parsed is not None else []
    return any(path.strip() == "<>" for path in paths)


def _is_ours(conversation: Conversation, recipient: str) -> bool:
    brand_address = parseaddr(conversation.brand.from_email)[1].lower()
    return recipient == brand_address or bool(_our_addresses([recipient]))


def _our_addresses(addresses: list[str]) -> list[str]:
    # Imported here: intake imports this module to answer the mail it has just stored.
    from storedesk.mail.identify import inbox_addresses_match

    return list(inbox_addresses_match(addresses))


class AutoReplyDraft(TypedDict):
    """What intake knows of an acknowledgement that the send composes (OutboundEmail.draft)."""

    recipient: str
    in_reply_to: str  # the customer's Message-ID, <...>, or ""
    expected_at: str  # the promised answer time, ISO 8601
    now: str  # when the conversation was opened, ISO 8601: "today" and "tomorrow" count from it


def _record_due(
    conversation: Conversation, *, recipient: str, parsed: ParsedEmail | None, now: datetime
) -> OutboundEmail:
    """The due acknowledgement: Message-ID and recipient now (threading, bounces and the
    rate limit read them), words and bytes when sent."""
    cache = intake_cache()
    expected_at = (
        cache.expected_at(conversation.inbox, now)
        if cache is not None
        else expected_first_response_at(inbox=conversation.inbox, now=now)
    )
    draft: AutoReplyDraft = {
        "recipient": recipient,
        "in_reply_to": message_id_normalize(parsed.message_id) if parsed is not None else "",
        "expected_at": expected_at.isoformat(),
        "now": now.isoformat(),
    }
    # Read back by no later step of a batch but the rate limit, which counts it waiting.
    return insert_or_defer(
        OutboundEmail(
            kind=OutboundKind.AUTO_REPLY,
            conversation=conversation,
            header_message_id=message_id_make(),
            recipients=[recipient],
            recipient_key=recipient,
            raw=b"",
            draft=draft,
            next_attempt_at=now,
        ),
        after=send_task_enqueue,
    )


def auto_reply_build(outbound: OutboundEmail) -> OutboundEmail:
    """Compose a due acknowledgement and store its bytes once; returns the row with them.

    Called by the outbox before the first send. Under the row's lock a second builder (a
    worker whose claim lease ran out) finds the bytes stored and sends those. Raises
    SendError (permanent) when the conversation is gone: nothing is left to acknowledge.
    """
    if not outbound.draft:
        return outbound  # built before
    if outbound.conversation_id is None:
        raise SendError("the conversation was deleted before the acknowledgement", permanent=True)
    conversation = Conversation.objects.select_related("brand", "customer", "inbox").get(
        pk=outbound.conversation_id
    )
    draft: AutoReplyDraft = outbound.draft
    now = datetime.fromisoformat(draft["now"])
    composed = auto_reply_compose(
        conversation=conversation,
        expected_at=datetime.fromisoformat(draft["expected_at"]),
        now=now,
    )
    mail_from, reply_to = _sender(conversation)
    in_reply_to = draft["in_reply_to"]
    raw = mime_build(
        OutboundDraft(
            kind=OutboundKind.AUTO_REPLY,
            mail_from=mail_from,
            to=[draft["recipient"]],
            reply_to=reply_to,
            subject=composed.subject,
            text=composed.text,
            html=composed.html,
            in_reply_to=in_reply_to,
            references=[in_reply_to] if in_reply_to else [],
        ),
        message_id=outbound.header_message_id,
    )
    with transaction.atomic():
        row = OutboundEmail.objects.select_for_update().get(pk=outbound.pk)
        if row.draft:
            row.raw, row.mail_from, row.draft = raw, parseaddr(mail_from)[1], {}
            row.save(update_fields=["raw", "mail_from", "draft", "updated_at"])
    return row


def _sender(conversation: Conversation) -> tuple[str, list[str]]:
    """(From, Reply-To): the inbox's address and its reply token, else the brand's sender."""
    brand = conversation.brand
    try:
        address = _sender_address(conversation)
    except ValueError:
        return brand.from_email, []
    token = reply_token_get_or_create(conversation)
    return formataddr((brand.sender_name or brand.name, address)), [plus_address(address, token)]
