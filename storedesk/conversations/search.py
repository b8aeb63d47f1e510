"""Full-text search over conversations, one implementation per database.

A conversation matches when every word of the query is found, as a substring (so order
numbers, addresses and Chinese text are found), in any of its messages; the opening
message carries the conversation's header (subject, customer's name and address) in
`Message.search_header`. Messages are indexed one by one when they are written
(migration 0006), so a new message never re-indexes the conversation.

Each word is one semi-join, `id IN (messages matching the word)`: the planner knows how
many conversations the messages table spreads over, so for a common word it walks the
inbox's ordered index and probes a conversation's messages, and for a rare one it reads
the few matches from the trigram index.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from storedesk.conversations.models import Conversation

# FTS5's trigram tokenizer (and pg_trgm) can only use the index for 3+ characters.
TRIGRAM_MIN_CHARS = 3
MAX_TERMS = 8
# What of a message is searchable, exactly as migration 0006 indexes it on PostgreSQL.
POSTGRES_SEARCHABLE = (
    "UPPER(search_header || E'\\n' || LEFT(split_part(text, E'\\n-- \\n', 1), 20000))"
)

_SQLITE_MATCHING = """
    SELECT conversation_id FROM conversations_message
    WHERE id IN (SELECT rowid FROM message_fts WHERE message_fts MATCH %s)"""
# Under 3 characters (e.g. one Chinese word): a scan of the same text the index holds.
_SQLITE_CONTAINING = """
    SELECT conversation_id FROM conversations_message
    WHERE instr(lower(search_header || char(10) || text), %s) > 0"""
_POSTGRES_CONTAINING = f"""
    SELECT conversation_id FROM conversations_message
    WHERE {POSTGRES_SEARCHABLE} LIKE %s"""  # noqa: S608 (constant)


def search_terms(query: str) -> list[str]:
    return [term for term in query.split() if term][:MAX_TERMS]


def conversation_search_filter(
    queryset: QuerySet[Conversation], query: str
) -> QuerySet[Conversation]:
    for term in search_terms(query):
        queryset = queryset.filter(_term_found(term))
    return queryset


def _term_found(term: str) -> Q:
    # Constant SQL throughout; the user's words only ever travel as parameters.
    if connection.vendor == "sqlite":
        if len(term) >= TRIGRAM_MIN_CHARS:
            phrase = '"' + term.replace('"', '""') + '"'
            return Q(pk__in=RawSQL(_SQLITE_MATCHING, (phrase,)))  # noqa: S611
        return Q(pk__in=RawSQL(_SQLITE_CONTAINING, (term.lower(),)))  # noqa: S611
    pattern = "%" + _like_escaped(term.upper()) + "%"
    return Q(pk__in=RawSQL(_POSTGRES_CONTAINING, (pattern,)))  # noqa: S611


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
