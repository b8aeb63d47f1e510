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

SQLite's index records which messages hold a trigram, not where, and takes in new and
edited messages a little later (migration 0007, conversations/search_index.py). So a
word's candidates are the messages holding all its trigrams plus those still pending, and
the word itself is looked for in each, case-folded by `storedesk_fold` (SQLite's own
lower() folds only ASCII).
"""

from __future__ import annotations

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
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

# The same, as migration 0006 indexes it on SQLite (a test compares the two).
SQLITE_SEARCHABLE = (
    "search_header || char(10) || substr(CASE WHEN instr(text, char(10) || '-- ' || char(10))"
    " > 0 THEN substr(text, 1, instr(text, char(10) || '-- ' || char(10)) - 1) ELSE text END,"
    " 1, 20000)"
)
SQLITE_FOLD = "storedesk_fold"

_SQLITE_MATCHING = f"""
    SELECT conversation_id FROM conversations_message
    WHERE (id IN (SELECT rowid FROM message_fts WHERE message_fts MATCH %s)
           OR id IN (SELECT message_id FROM message_search_pending))
      AND instr({SQLITE_FOLD}({SQLITE_SEARCHABLE}), %s) > 0"""  # noqa: S608 (constant)
# Under 3 characters (e.g. one Chinese word): a scan of the same text the index holds.
_SQLITE_CONTAINING = f"""
    SELECT conversation_id FROM conversations_message
    WHERE instr({SQLITE_FOLD}({SQLITE_SEARCHABLE}), %s) > 0"""  # noqa: S608 (constant)
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
        folded = term.lower()  # as SQLITE_FOLD folds the text
        if len(folded) >= TRIGRAM_MIN_CHARS:
            parameters = (_all_trigrams(folded), folded)
            return Q(pk__in=RawSQL(_SQLITE_MATCHING, parameters))  # noqa: S611
        return Q(pk__in=RawSQL(_SQLITE_CONTAINING, (folded,)))  # noqa: S611
    pattern = "%" + _like_escaped(term.upper()) + "%"
    return Q(pk__in=RawSQL(_POSTGRES_CONTAINING, (pattern,)))  # noqa: S611


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _all_trigrams(word: str) -> str:
    """An FTS5 query for the messages holding every trigram of `word` (3+ characters)."""
    trigrams = dict.fromkeys(word[i : i + TRIGRAM_MIN_CHARS] for i in range(len(word) - 2))
    return " AND ".join('"' + trigram.replace('"', '""') + '"' for trigram in trigrams)


def sqlite_fold_register(connection: BaseDatabaseWrapper, **_kwargs: object) -> None:
    """connection_created receiver: SQLITE_FOLD, case folding for every script as FTS5's
    trigram tokenizer folds, on every SQLite connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FOLD, 1, _fold, deterministic=True)


def _fold(text: str | None) -> str | None:
    return None if text is None else text.lower()
