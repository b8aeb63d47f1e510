"""Signed status links: a customer opens one conversation's status without signing in."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from storedesk.conversations.models import Conversation

SALT = "storedesk.conversation-status"


def status_token_make(conversation: Conversation) -> str:
    # The customer id in the payload means a merged-away customer's old links stop working.
    # No timestamp: links do not expire, and every mail about a conversation carries the same one.
    return _signer().sign_object([conversation.number, conversation.customer_id], compress=True)


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def status_token_read(token: str) -> tuple[int, int] | None:
    """(number, customer id) from a valid token, else None. Links do not expire."""
    try:
        number, customer_id = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(number, int) or not isinstance(customer_id, int):
        return None
    return number, customer_id


def status_url(conversation: Conversation) -> str:
    path = reverse("portal:status", kwargs={"token": status_token_make(conversation)})
    return f"{settings.BASE_URL}{path}"
