"""Full-text search index over Conversation.search_text, one per database.

SQLite: an FTS5 table with the trigram tokenizer (substring matches in every language,
Chinese included), kept in step by triggers. PostgreSQL: pg_trgm's GIN index under
UPPER(search_text), which serves Django's icontains.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE conversation_fts USING fts5(
        search_text, content='conversations_conversation', content_rowid='id',
        tokenize='trigram')""",
    """CREATE TRIGGER conversation_fts_insert AFTER INSERT ON conversations_conversation BEGIN
        INSERT INTO conversation_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER conversation_fts_delete AFTER DELETE ON conversations_conversation BEGIN
        INSERT INTO conversation_fts(conversation_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER conversation_fts_update AFTER UPDATE OF search_text
        ON conversations_conversation BEGIN
        INSERT INTO conversation_fts(conversation_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO conversation_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS conversation_fts_update",
    "DROP TRIGGER IF EXISTS conversation_fts_delete",
    "DROP TRIGGER IF EXISTS conversation_fts_insert",
    "DROP TABLE IF EXISTS conversation_fts",
]
POSTGRES_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """CREATE INDEX IF NOT EXISTS conversation_search_trgm ON conversations_conversation
        USING gin (UPPER(search_text) gin_trgm_ops)""",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS conversation_search_trgm"]


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
    dependencies = [("conversations", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
