"""SQLite's message index: positionless, and written once per transaction instead of per row.

Two costs of migration 0006's index, the largest of a message INSERT (bench/RESULTS.md):

- FTS5's detail=full kept every position of every trigram, about 12 KB of index per
  message of 4.7 KB text. With detail=none it keeps which messages hold a trigram: a
  sixth of the size and a third of the writing. Phrase queries need positions, so search
  asks for the messages holding every trigram of a word and then looks for the word in
  those (conversations/search.py).
- Every SAVEPOINT makes FTS5 write out what it holds in memory, and mail intake takes one
  per mail (a trigger's statement takes one too), so each message became an index segment
  of its own, later merged again. Now the INSERT trigger only notes the message in
  `message_search_pending`; `search_index_catch_up` (conversations/search_index.py) moves
  what is pending into the index in one statement, at the end of a mail batch and every
  few seconds from the worker, and search reads pending messages directly. PostgreSQL's
  GIN index does the same by itself (its "fastupdate" pending list).

An edited message leaves the index and is pending again; a deleted one leaves both.
"""

import importlib

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

_previous = importlib.import_module("storedesk.conversations.migrations.0006_message_search_index")
_old_text = _previous._sqlite_searchable("old")
_not_pending = "NOT EXISTS (SELECT 1 FROM message_search_pending WHERE message_id = old.id)"

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE message_fts USING fts5("
    "body, content='', tokenize='trigram', detail=none)",
    "CREATE TABLE message_search_pending (message_id integer NOT NULL PRIMARY KEY)",
    """CREATE TRIGGER message_fts_insert AFTER INSERT ON conversations_message BEGIN
        INSERT INTO message_search_pending(message_id) VALUES (new.id);
    END""",
    # A contentless index forgets a row only when told exactly what it indexed, and only
    # what it holds: a pending message is not in it yet.
    f"""CREATE TRIGGER message_fts_update AFTER UPDATE OF text, search_header
        ON conversations_message WHEN {_not_pending} BEGIN
        INSERT INTO message_fts(message_fts, rowid, body) VALUES ('delete', old.id, {_old_text});
        INSERT INTO message_search_pending(message_id) VALUES (new.id);
    END""",  # noqa: S608 (constant fragments)
    f"""CREATE TRIGGER message_fts_delete AFTER DELETE ON conversations_message BEGIN
        INSERT INTO message_fts(message_fts, rowid, body)
        SELECT 'delete', old.id, {_old_text} WHERE {_not_pending};
        DELETE FROM message_search_pending WHERE message_id = old.id;
    END""",  # noqa: S608
    # Every existing message, as 0006 filled its index.
    _previous.SQLITE_CREATE[-1],
]
SQLITE_DROP = [*_previous.SQLITE_DROP, "DROP TABLE IF EXISTS message_search_pending"]


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in statements:
            schema_editor.execute(statement)


def pending_and_positionless(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, [*SQLITE_DROP, *SQLITE_CREATE])


def back_to_0006(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, [*SQLITE_DROP, *_previous.SQLITE_CREATE])


class Migration(migrations.Migration):
    dependencies = [("conversations", "0006_message_search_index")]
    operations = [migrations.RunPython(pending_and_positionless, back_to_0006)]
