"""Fixed-window rate limits kept in the cache, shared by every web process when Redis is used."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # Only REMOTE_ADDR: X-Forwarded-For is set by the client unless a trusted proxy rewrites it.
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def rate_limit_take(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; False once more than `limit` were counted in this window."""
    cache_key = f"rate.{scope}.{key}"
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The window expired between add and incr: this attempt starts a new one.
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
