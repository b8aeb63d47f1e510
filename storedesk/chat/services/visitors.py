"""Visitor sessions: the signed token a widget keeps, pages seen, identified visitors."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from storedesk.chat.errors import ChatError
from storedesk.chat.models import ChatWidget, VisitorSession
from storedesk.core.throttle import rate_limit_take
from storedesk.customers.enums import IdentityKind
from storedesk.customers.models import Customer, CustomerIdentity
from storedesk.customers.services import customer_get_or_create_by_email

TOKEN_SALT = "storedesk.chat.visitor"  # noqa: S105  (a signing namespace, not a secret)
TOKEN_MAX_AGE_SECONDS = 30 * 24 * 3600
VISITOR_PAGES_KEPT = 50
RATE_WINDOW_SECONDS = 60


@dataclass(frozen=True)
class PageView:
    url: str
    title: str = ""

    def clean(self) -> PageView:
        """Only http(s) addresses are kept; anything else would be a link an agent clicks."""
        url = self.url.strip()[:2000]
        if urlsplit(url).scheme not in ("http", "https"):
            raise ChatError("invalid", _("The page address is not valid."))
        return PageView(url=url, title=self.title.strip()[:300])


@dataclass(frozen=True)
class IdentityClaim:
    """A signed-in shop customer: hmac = hex HMAC-SHA256(secret, f"{customer_id}:{email}")."""

    customer_id: str
    email: str
    hmac: str
    name: str = ""

    def is_valid_for(self, widget: ChatWidget) -> bool:
        expected = hmac.new(
            widget.identity_secret.encode(),
            f"{self.customer_id}:{self.email}".encode(),
            hashlib.sha256,
        ).hexdigest()
        return bool(self.customer_id and self.email) and hmac.compare_digest(expected, self.hmac)


def visitor_token(session: VisitorSession) -> str:
    """The widget's token: the session key, signed, so a forged or altered one is refused."""
    return signing.dumps({"k": session.key, "w": session.widget_id}, salt=TOKEN_SALT)


def visitor_key_from_token(token: str, *, widget_id: int) -> str | None:
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if (
        not isinstance(data, dict)
        or data.get("w") != widget_id
        or not isinstance(data.get("k"), str)
    ):
        return None
    return str(data["k"])


def visitor_identity_attach(*, session: VisitorSession, customer: Customer) -> None:
    """Link the session to `customer` and record the visitor id among their identities, so
    everything about the visit is findable from the customer."""
    session.customer = customer
    session.save(update_fields=["customer", "updated_at"])
    CustomerIdentity.objects.get_or_create(
        kind=IdentityKind.VISITOR, value=session.key, defaults={"customer": customer}
    )


@transaction.atomic
def visitor_session_start(
    *,
    widget: ChatWidget,
    session: VisitorSession | None = None,
    identity: IdentityClaim | None = None,
    page: PageView | None = None,
    language: str = "",
    ip: str = "",
) -> VisitorSession:
    """Resume `session` (from a valid token) or open a new one.

    A valid identity claim links the session to the customer owning that email (created
    if unknown); an invalid one is refused with ChatError("forbidden") and changes nothing.
    """
    if identity is not None and not identity.is_valid_for(widget):
        raise ChatError("forbidden", _("The visitor's identity could not be verified."))
    if session is None:
        session = VisitorSession.objects.create(
            widget=widget, key=secrets.token_urlsafe(32), ip=ip or None
        )
    session.language = language[:10] or session.language
    session.last_seen_at = timezone.now()
    session.save(update_fields=["language", "last_seen_at", "updated_at"])
    if identity is not None:
        customer = customer_get_or_create_by_email(email=identity.email, name=identity.name)
        visitor_identity_attach(session=session, customer=customer)
    if page is not None:
        visitor_page_record(session=session, page=page)
    return session


def visitor_page_record(*, session: VisitorSession, page: PageView) -> VisitorSession:
    """The visitor is now on `page` (kept for the agent's visitor context)."""
    page = page.clean()
    now = timezone.now()
    entry = {"url": page.url, "title": page.title, "at": now.isoformat()}
    session.pages = [*session.pages, entry][-VISITOR_PAGES_KEPT:]
    session.current_url, session.current_title = page.url, page.title
    session.last_seen_at = now
    session.save(
        update_fields=["pages", "current_url", "current_title", "last_seen_at", "updated_at"]
    )
    return session


def visitor_rate_limit(*, session_key: str = "", ip: str = "") -> None:
    """Count one visitor write against the session's and the IP's one-minute windows; raise
    ChatError("rate_limited") when either is over its limit (core.throttle, in the cache)."""
    checks = []
    if session_key:
        checks.append(("chat.session", session_key, settings.CHAT_RATE_LIMIT_SESSION_PER_MINUTE))
    if ip:
        checks.append(("chat.ip", ip, settings.CHAT_RATE_LIMIT_IP_PER_MINUTE))
    # Every window counts the write, so a blocked session still counts against its IP.
    allowed = [
        rate_limit_take(scope=scope, key=key, limit=limit, window_seconds=RATE_WINDOW_SECONDS)
        for scope, key, limit in checks
    ]
    if not all(allowed):
        raise ChatError("rate_limited", _("Too many messages. Please wait a minute."))
