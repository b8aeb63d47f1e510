"""The log of what customers searched for: the raw material of the content-gaps page."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from storedesk.brands.models import Brand
from storedesk.knowledge.models import SearchLog
from storedesk.knowledge.models.deflection import QUERY_MAX

# Keystrokes of one search arrive as a run of growing (or shrinking) queries; within this
# pause they are one search, so the log holds what was finally typed, not every prefix.
MERGE_SECONDS = 60
_SPACE = re.compile(r"\s+")
# NUL and other control characters: PostgreSQL refuses NUL in text, and none of them means
# anything in a search.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def query_clean(query: str) -> str:
    """The query as stored and searched: no control characters, single spaces, bounded."""
    return _SPACE.sub(" ", _CONTROL.sub(" ", query)).strip()[:QUERY_MAX]


def query_normalize(query: str) -> str:
    return query_clean(query).casefold()


def _merge_target(brand: Brand, session_key: str, normalized: str) -> SearchLog | None:
    since = timezone.now() - timedelta(seconds=MERGE_SECONDS)
    last = (
        SearchLog.objects.select_for_update()
        .filter(brand=brand, session_key=session_key, updated_at__gte=since)
        .order_by("-updated_at", "-id")
        .first()
    )
    if last is None:
        return None
    same_search = normalized.startswith(last.normalized_query) or last.normalized_query.startswith(
        normalized
    )
    return last if same_search else None


@transaction.atomic
def search_log_record(
    *,
    brand: Brand,
    query: str,
    language: str,
    results_count: int,
    session_key: str,
    source: str,
) -> SearchLog | None:
    """Log one search; a continuation of the session's last search updates that row.

    Writes one SearchLog row (or updates one); None for an empty query. No events.
    """
    cleaned = query_clean(query)
    normalized = cleaned.casefold()
    if not normalized:
        return None
    entry = _merge_target(brand, session_key, normalized) if session_key else None
    if entry is None:
        entry = SearchLog(brand=brand, session_key=session_key, source=source)
    entry.query = cleaned
    entry.normalized_query = normalized
    entry.language = language
    entry.results_count = results_count
    entry.save()
    return entry
