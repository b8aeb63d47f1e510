"""Messages get their own search index; Conversation.search_text keeps only the header.

Until now every message was appended to the conversation's search_text, and the index
re-read that whole growing text (up to 20,000 characters) on every new message: the
largest single write cost of mail intake and of live chat. Now each message is indexed
once, when it is written, and search matches a word in the header (subject, customer's
name and address) or in any of the conversation's messages (conversations/search.py).

What is indexed of a message: its text up to the signature separator ("\\n-- \\n": an
agent's name in every signature would otherwise match all their replies), at most
20,000 characters. The same expression is in both backends' index and in the search.

SQLite: a contentless FTS5 table with the trigram tokenizer, kept in step by triggers.
PostgreSQL: pg_trgm's GIN index over the expression. The conversations' search_text is
left as it is (for existing conversations it still holds their messages: a word then
matches twice, never wrongly).
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def _sqlite_searchable(column: str) -> str:
    separator = "char(10) || '-- ' || char(10)"
    return (
        f"substr(CASE WHEN instr({column}, {separator}) > 0 "
        f"THEN substr({column}, 1, instr({column}, {separator}) - 1) ELSE {column} END, 1, 20000)"
    )


SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE message_fts USING fts5(body, content='', tokenize='trigram')",
    f"""CREATE TRIGGER message_fts_insert AFTER INSERT ON conversations_message BEGIN
        INSERT INTO message_fts(rowid, body) VALUES (new.id, {_sqlite_searchable("new.text")});
    END""",
    f"""CREATE TRIGGER message_fts_delete AFTER DELETE ON conversations_message BEGIN
        INSERT INTO message_fts(message_fts, rowid, body)
        VALUES ('delete', old.id, {_sqlite_searchable("old.text")});
    END""",
    f"""CREATE TRIGGER message_fts_update AFTER UPDATE OF text ON conversations_message BEGIN
        INSERT INTO message_fts(message_fts, rowid, body)
        VALUES ('delete', old.id, {_sqlite_searchable("old.text")});
        INSERT INTO message_fts(rowid, body) VALUES (new.id, {_sqlite_searchable("new.text")});
    END""",
    f"""INSERT INTO message_fts(rowid, body)
        SELECT id, {_sqlite_searchable("text")} FROM conversations_message""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS message_fts_update",
    "DROP TRIGGER IF EXISTS message_fts_delete",
    "DROP TRIGGER IF EXISTS message_fts_insert",
    "DROP TABLE IF EXISTS message_fts",
]
# Keep in step with conversations/search.py (POSTGRES_MESSAGE_SEARCHABLE).
POSTGRES_CREATE = [
    """CREATE INDEX IF NOT EXISTS message_search_trgm ON conversations_message
        USING gin (UPPER(LEFT(split_part(text, E'\\n-- \\n', 1), 20000)) gin_trgm_ops)""",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS message_search_trgm"]


def _run(schema_editor: BaseDatabaseSchemaEditor, sqlite: list[str], postgres: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": sqlite, "postgresql": postgres}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, SQLITE_CREATE, POSTGRES_CREATE)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, SQLITE_DROP, POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [("conversations", "0005_message_bounced_event")]
    operations = [migrations.RunPython(create, drop)]
