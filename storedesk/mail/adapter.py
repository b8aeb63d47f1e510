"""The email ChannelAdapter: an agent's reply becomes a threaded mail in the outbox.

Registered for channel "email" only. Web-form conversations keep the conversations
app's default (`customer_reply_notify`, a notification with the status link, which goes
through the outbox too once core's port points there): a web-form inbox has no address
of its own to send from or to thread replies back into, and the customer chose the
portal, so their notification preference decides whether they get mail at all.
"""

from __future__ import annotations

import re
import secrets
from email.utils import formataddr

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from storedesk.conversations.enums import DeliveryStatus, MessageKind
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.status_links import status_url
from storedesk.core.mail import OutboundAttachment
from storedesk.core.sanitize import text_to_html
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import InboxAddress
from storedesk.mail.enums import OutboundKind
from storedesk.mail.models import OutboundEmail, RawEmailDelivery, ReplyToken
from storedesk.mail.outbox import message_id_normalize, outbound_email_enqueue

# No 0/O, 1/I/L: a customer reading the token aloud or retyping it cannot confuse them.
TOKEN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # noqa: S105 - an alphabet, not a secret
TOKEN_LENGTH = 8
TOKEN_TRIES = 5
# Reply prefixes in the languages we serve: "Re:", "RE[2]:", "AW:", "SV:", "Ответ:", "回复:".
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|vs|ответ|回复)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.I)
_NUMBER_TAG = re.compile(r"\s*\[#\d+\]")


def reply_token_get_or_create(conversation: Conversation) -> str:
    """The conversation's reply token, created on first use (8 chars, unambiguous).

    The unique constraints decide: a token already taken by another conversation is
    drawn again, and a concurrent creator for this conversation wins. Side effect: at
    most one ReplyToken row.
    """
    existing = ReplyToken.objects.filter(conversation=conversation).first()
    if existing is not None:
        return existing.token
    for _try in range(TOKEN_TRIES):
        token = "".join(secrets.choice(TOKEN_ALPHABET) for _i in range(TOKEN_LENGTH))
        try:
            with transaction.atomic():
                return ReplyToken.objects.create(conversation=conversation, token=token).token
        except IntegrityError:
            existing = ReplyToken.objects.filter(conversation=conversation).first()
            if existing is not None:
                return existing.token
    raise RuntimeError(f"no free reply token after {TOKEN_TRIES} tries")


def plus_address(address: str, token: str) -> str:
    """support@shop.example + T4Q9X -> support+T4Q9X@shop.example."""
    local, _at, domain = address.rpartition("@")
    return f"{local}+{token}@{domain}"


def reply_subject(conversation: Conversation) -> str:
    """`Re: <subject> [#number]`, without stacking reply prefixes or number tags."""
    subject = _NUMBER_TAG.sub("", conversation.subject)
    subject = _REPLY_PREFIX.sub("", subject).strip()
    return f"Re: {subject} [#{conversation.number}]"


def thread_message_ids(conversation: Conversation) -> tuple[str, list[str]]:
    """(In-Reply-To, References): the latest inbound mail's id; every id in the thread.

    References lists the customer's mails and our earlier replies in timeline order.
    Both are empty when no mail came in yet (a conversation opened by the web form).
    """
    inbound = RawEmailDelivery.objects.filter(
        message__conversation=conversation, message__kind=MessageKind.INBOUND
    ).exclude(raw_email__header_message_id="")
    ours = OutboundEmail.objects.filter(conversation=conversation, message__isnull=False)
    dated = [
        *inbound.values_list("message__sequence", "raw_email__header_message_id"),
        *ours.values_list("message__sequence", "header_message_id"),
    ]
    references = [message_id_normalize(mid) for _seq, mid in sorted(dated, key=lambda d: d[0])]
    latest_inbound = inbound.order_by("-message__sequence").first()
    in_reply_to = (
        message_id_normalize(latest_inbound.raw_email.header_message_id) if latest_inbound else ""
    )
    return in_reply_to, list(dict.fromkeys(references))


def _sender_address(conversation: Conversation) -> str:
    addresses = InboxAddress.objects.filter(inbox_id=conversation.inbox_id)
    primary = addresses.order_by("-is_primary", "email").first()
    if primary is None:
        raise ValueError(f"inbox {conversation.inbox_id} has no address to send from")
    return primary.email


def _attachments(message: Message) -> list[OutboundAttachment]:
    result = []
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            content = handle.read()
        result.append(
            OutboundAttachment(
                filename=attachment.filename,
                content=content,
                content_type=attachment.content_type or "application/octet-stream",
            )
        )
    return result


def _bodies(message: Message, *, link: str) -> tuple[str, str]:
    """Text and HTML: the reply as stored (message_reply already signed it), the status link."""
    footer = _("See the whole conversation at any time: %(url)s") % {"url": link}
    text = message.text
    html = message.html or text_to_html(message.text)
    text = f"{text}\n\n{footer}\n"
    html = f'{html}\n<p style="color:#666;font-size:smaller">{escape(footer)}</p>\n'
    return text, html


def _language(conversation: Conversation) -> str:
    return (
        conversation.customer.language
        or conversation.language
        or conversation.brand.default_language
    )


class EmailChannelAdapter:
    """Delivers agents' replies in email conversations through the outbox."""

    channel = Channel.EMAIL.value

    def deliver(self, message: Message) -> DeliveryStatus | None:
        """Queue the reply as a threaded mail; QUEUED until the SMTP server's 250.

        From: the inbox's primary address under the brand's sender name; To: the
        customer; Cc: the message's cc; Reply-To: the inbox address plus the
        conversation's reply token. Returns FAILED when the customer has no address, and
        None (nothing to send; the reply stays in the portal) when the customer turned
        off mail for this conversation. Idempotent: one OutboundEmail per message.
        Side effects: a ReplyToken on first use, one OutboundEmail, its send task after
        commit.
        """
        conversation = message.conversation
        if OutboundEmail.objects.filter(message=message).exists():
            return DeliveryStatus.QUEUED
        if not conversation.customer_wants_updates():
            return None
        if not conversation.customer.primary_email:
            return DeliveryStatus.FAILED
        with transaction.atomic(), translation.override(_language(conversation)):
            self._enqueue(message, conversation)
        return DeliveryStatus.QUEUED

    def _enqueue(self, message: Message, conversation: Conversation) -> OutboundEmail:
        address = _sender_address(conversation)
        brand = conversation.brand
        in_reply_to, references = thread_message_ids(conversation)
        text, html = _bodies(message, link=status_url(conversation))
        return outbound_email_enqueue(
            kind=OutboundKind.REPLY,
            mail_from=formataddr((brand.sender_name or brand.name, address)),
            recipients=[conversation.customer.primary_email],
            cc=list(message.cc),
            reply_to=[plus_address(address, reply_token_get_or_create(conversation))],
            subject=reply_subject(conversation),
            text=text,
            html=html,
            attachments=_attachments(message),
            in_reply_to=in_reply_to,
            references=references,
            message=message,
            conversation=conversation,
        )
