"""Who is told what about a conversation; the mail itself goes through core's port."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from storedesk.conversations.models import Message
from storedesk.conversations.status_links import status_url
from storedesk.core.mail import OutboundMail, outbound_mail_send


def customer_reply_notify(*, message: Message) -> bool:
    """Email the customer an agent's reply with the status link, if they want updates."""
    conversation = message.conversation
    customer = conversation.customer
    address = customer.primary_email
    if not address or not conversation.customer_wants_updates():
        return False
    language = customer.language or conversation.language or conversation.brand.default_language
    with translation.override(language):
        context = {
            "conversation": conversation,
            "message": message,
            "status_url": status_url(conversation),
            "brand": conversation.brand,
        }
        outbound_mail_send(
            OutboundMail(
                to=[address],
                subject=_("[#%(number)d] %(subject)s")
                % {"number": conversation.number, "subject": conversation.subject},
                text=render_to_string("conversations/email/reply_notification.txt", context),
                from_email=conversation.brand.from_email,
            )
        )
    return True
