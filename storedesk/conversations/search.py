"""Full-text search over conversations, one implementation per database.

A conversation matches when every word of the query is found, as a substring (so order
numbers, addresses and Chinese text are found), in its header (`Conversation.search_text`:
subject, customer's name and address) or in any of its messages. Messages are indexed
one by one when they are written (migration 0006), so a new message never re-indexes
the conversation; the header index comes from migration 0002.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from storedesk.conversations.models import Conversation

# FTS5's trigram tokenizer (and pg_trgm) can only use the index for 3+ characters.
TRIGRAM_MIN_CHARS = 3
MAX_TERMS = 8
# What of a message is searchable, as migration 0006 indexes it on PostgreSQL.
POSTGRES_MESSAGE_SEARCHABLE = "UPPER(LEFT(split_part(text, E'\\n-- \\n', 1), 20000))"

_SQLITE_MATCHING = """
    SELECT rowid FROM conversation_fts WHERE conversation_fts MATCH %s
    UNION ALL
    SELECT conversation_id FROM conversations_message
    WHERE id IN (SELECT rowid FROM message_fts WHERE message_fts MATCH %s)"""
_SQLITE_CONTAINING = """
    SELECT id FROM conversations_conversation WHERE instr(lower(search_text), %s) > 0
    UNION ALL
    SELECT conversation_id FROM conversations_message WHERE instr(lower(text), %s) > 0"""
_POSTGRES_CONTAINING = f"""
    SELECT id FROM conversations_conversation WHERE UPPER(search_text) LIKE %s
    UNION ALL
    SELECT conversation_id FROM conversations_message
    WHERE {POSTGRES_MESSAGE_SEARCHABLE} LIKE %s"""  # noqa: S608 (constant)


def search_terms(query: str) -> list[str]:
    return [term for term in query.split() if term][:MAX_TERMS]


def conversation_search_filter(
    queryset: QuerySet[Conversation], query: str
) -> QuerySet[Conversation]:
    for term in search_terms(query):
        queryset = queryset.filter(_term_found(term))
    return queryset


def _term_found(term: str) -> Q:
    """Conversations with `term` in the header or in a message: one semi-join per term."""
    if connection.vendor == "sqlite":
        if len(term) >= TRIGRAM_MIN_CHARS:
            phrase = '"' + term.replace('"', '""') + '"'
            return Q(pk__in=RawSQL(_SQLITE_MATCHING, (phrase, phrase)))  # noqa: S611
        # Too short for the trigram index: a scan, as lower() folds ASCII only in SQLite.
        lowered = term.lower()
        return Q(pk__in=RawSQL(_SQLITE_CONTAINING, (lowered, lowered)))  # noqa: S611
    pattern = "%" + _like_escaped(term.upper()) + "%"
    # Constant SQL throughout; the user's words only ever travel as parameters.
    return Q(pk__in=RawSQL(_POSTGRES_CONTAINING, (pattern, pattern)))  # noqa: S611


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
