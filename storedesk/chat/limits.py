"""Rate limits for visitor writes, per visitor session and per IP (fixed one-minute windows)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from storedesk.chat.errors import ChatError

WINDOW_SECONDS = 60


def _hit(key: str, limit: int) -> bool:
    """Count one hit; True while the window's count stays within `limit`."""
    if cache.add(key, 1, timeout=WINDOW_SECONDS):
        return True
    try:
        return int(cache.incr(key)) <= limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        return True


def visitor_rate_limit(*, session_key: str = "", ip: str = "") -> None:
    """Raise ChatError("rate_limited") when the session or the IP writes too fast."""
    checks = []
    if session_key:
        checks.append(
            (f"chat:rate:session:{session_key}", settings.CHAT_RATE_LIMIT_SESSION_PER_MINUTE)
        )
    if ip:
        checks.append((f"chat:rate:ip:{ip}", settings.CHAT_RATE_LIMIT_IP_PER_MINUTE))
    # Every counter is hit, so a blocked session still counts against its IP.
    allowed = [_hit(key, limit) for key, limit in checks]
    if not all(allowed):
        raise ChatError("rate_limited", _("Too many messages. Please wait a minute."))
