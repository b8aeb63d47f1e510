"""SQLite's message index catches up with the messages written since it last did.

A new or edited message is only noted as pending by its trigger (migration 0007), because
FTS5 writes an index segment at every SAVEPOINT, and mail intake takes one per mail. This
moves everything pending into the index with one statement: one segment for a whole mail
batch or a few seconds of chat. Until then search reads pending messages directly
(conversations/search.py), so a message is found the moment it is committed.

PostgreSQL's GIN index keeps its own pending list; there this does nothing.
"""

from __future__ import annotations

from django.db import connection, transaction

from storedesk.conversations.search import SQLITE_SEARCHABLE

_INDEX_PENDING = f"""
    INSERT INTO message_fts(rowid, body)
    SELECT id, {SQLITE_SEARCHABLE} FROM conversations_message
    WHERE id IN (SELECT message_id FROM message_search_pending)"""  # noqa: S608 (constant)


def search_index_catch_up() -> int:
    """Index every pending message; returns how many there were (0 on PostgreSQL).

    Inside a caller's transaction it is part of it (no savepoint of its own): what it
    indexes commits or rolls back with the messages. Called last, as mail batches do just
    before commit, it indexes all of the caller's messages at once.
    """
    if connection.vendor != "sqlite":
        return 0
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_INDEX_PENDING)
        # Nobody else writes meanwhile: SQLite has one writer, and this is it.
        cursor.execute("DELETE FROM message_search_pending")
        indexed: int = cursor.rowcount
        return indexed
