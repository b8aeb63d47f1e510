"""Full-text search over Conversation.search_text, one implementation per database.

Both match every word of the query as a substring (so order numbers, addresses and
Chinese text are found); the indexes come from migration 0002_search_index.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from storedesk.conversations.models import Conversation

# FTS5's trigram tokenizer (and pg_trgm) can only use the index for 3+ characters.
TRIGRAM_MIN_CHARS = 3
MAX_TERMS = 8


def search_terms(query: str) -> list[str]:
    return [term for term in query.split() if term][:MAX_TERMS]


def conversation_search_filter(
    queryset: QuerySet[Conversation], query: str
) -> QuerySet[Conversation]:
    terms = search_terms(query)
    if not terms:
        return queryset
    if connection.vendor == "sqlite":
        return _sqlite_filter(queryset, terms)
    for term in terms:
        queryset = queryset.filter(search_text__icontains=term)
    return queryset


def _sqlite_filter(queryset: QuerySet[Conversation], terms: list[str]) -> QuerySet[Conversation]:
    indexed = [t for t in terms if len(t) >= TRIGRAM_MIN_CHARS]
    if indexed:
        expression = " AND ".join('"' + t.replace('"', '""') + '"' for t in indexed)
        queryset = queryset.filter(
            pk__in=RawSQL(
                "SELECT rowid FROM conversation_fts WHERE conversation_fts MATCH %s",
                (expression,),
            )
        )
    for term in terms:
        if len(term) < TRIGRAM_MIN_CHARS:
            queryset = queryset.filter(search_text__icontains=term)
    return queryset
