"""Portal writes: the sign-in request, the contact form, a conversation's mail preference."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from storedesk.brands.models import Brand
from storedesk.conversations.models import Conversation
from storedesk.conversations.services.messages import MessageContent, conversation_open
from storedesk.core.mail import OutboundMail, outbound_mail_send
from storedesk.customers.selectors import customer_get_by_email
from storedesk.customers.services import (
    customer_get_or_create_by_email,
    email_normalize,
    magic_link_create,
)
from storedesk.inboxes.models import Inbox
from storedesk.mail.autoreply_send import auto_reply_send


def magic_link_url(*, token: str, next_path: str = "") -> str:
    path = reverse("portal:signin_confirm", kwargs={"token": token})
    query = f"?{urlencode({'next': next_path})}" if next_path else ""
    return f"{settings.BASE_URL}{path}{query}"


def signin_link_send(
    *, email: str, brand: Brand | None, language: str, next_path: str = ""
) -> bool:
    """Mail a sign-in link when a customer owns `email`; True if one was sent.

    Creates a MagicLink row and sends one mail through core's outbound-mail port, in the
    customer's language (else `language`). Unknown addresses get nothing, silently.
    """
    customer = customer_get_by_email(email=email)
    if customer is None:
        return False
    token = magic_link_create(customer=customer)
    with translation.override(customer.language or language):
        context = {
            "brand": brand,
            "customer": customer,
            "url": magic_link_url(token=token, next_path=next_path),
            "minutes": settings.MAGIC_LINK_MAX_AGE_SECONDS // 60,
        }
        outbound_mail_send(
            OutboundMail(
                to=[email_normalize(email)],
                subject=_("Your sign-in link for %(name)s")
                % {"name": brand.name if brand else "Storedesk"},
                text=render_to_string("portal/email/magic_link.txt", context),
                from_email=brand.from_email if brand else settings.DEFAULT_FROM_EMAIL,
            )
        )
    return True


@transaction.atomic
def contact_request_submit(
    *,
    inbox: Inbox,
    name: str,
    email: str,
    subject: str,
    text: str,
    files: Sequence[UploadedFile],
    language: str,
) -> Conversation:
    """Open a web-form conversation for the customer owning `email` (created if new).

    Side effects: conversation_open's (a CREATED event, the first message and its files)
    and, in the same transaction, the acknowledgement with a copy of the message to `email`
    (auto_reply_send: an OutboundEmail, sent after commit, unless a loop or rate rule says
    no).
    """
    customer = customer_get_or_create_by_email(email=email, name=name, language=language)
    conversation = conversation_open(
        inbox=inbox,
        customer=customer,
        subject=subject,
        content=MessageContent(text=text, files=files),
        language=language,
    )
    auto_reply_send(conversation=conversation, recipient=email_normalize(email))
    return conversation
