"""The inbound-mail webhook's authentication: a per-inbox secret, HMAC or bearer token.

Providers that sign send `X-Storedesk-Signature: sha256=<hex HMAC-SHA256 of the body>`;
simpler ones send `Authorization: Bearer <secret>`. Both compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from storedesk.inboxes.models import Inbox
from storedesk.mail.models import InboundWebhook

SIGNATURE_HEADER = "X-Storedesk-Signature"
SIGNATURE_PREFIX = "sha256="


def inbound_webhook_set_up(*, inbox: Inbox) -> InboundWebhook:
    """Give the inbox a webhook with a new random secret (replacing any earlier one).

    Side effects: creates or updates the inbox's InboundWebhook row.
    """
    webhook, _ = InboundWebhook.objects.update_or_create(
        inbox=inbox, defaults={"secret": secrets.token_urlsafe(32), "is_active": True}
    )
    return webhook


def signature_for(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def webhook_request_is_authentic(
    *, webhook: InboundWebhook, body: bytes, headers: Mapping[str, str]
) -> bool:
    """True when the request carries a valid signature of `body` or the bearer secret."""
    if not webhook.is_active or not webhook.secret:
        return False
    signature = headers.get(SIGNATURE_HEADER, "")
    if signature:
        return hmac.compare_digest(signature.strip(), signature_for(webhook.secret, body))
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return hmac.compare_digest(token.strip().encode(), webhook.secret.encode())
    return False
