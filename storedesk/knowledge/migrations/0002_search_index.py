"""Search indexes, one set per database (storedesk/knowledge/search/).

SQLite: `knowledge_fts` holds each translation's title and body as stemmed (or, for
Chinese, jieba-segmented) tokens, written by search/indexing.py; `knowledge_term_trgm`
is a trigram index over the typo vocabulary. PostgreSQL: a weighted tsvector column on
the translation table (filled with the language's regconfig by search/indexing.py) with
a GIN index, and pg_trgm over the vocabulary.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE knowledge_fts USING fts5(
        title, body, tokenize='unicode61 remove_diacritics 0')""",
    """CREATE VIRTUAL TABLE knowledge_term_trgm USING fts5(
        term, content='knowledge_searchterm', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER knowledge_term_trgm_insert AFTER INSERT ON knowledge_searchterm BEGIN
        INSERT INTO knowledge_term_trgm(rowid, term) VALUES (new.id, new.term);
    END""",
    """CREATE TRIGGER knowledge_term_trgm_delete AFTER DELETE ON knowledge_searchterm BEGIN
        INSERT INTO knowledge_term_trgm(knowledge_term_trgm, rowid, term)
        VALUES ('delete', old.id, old.term);
    END""",
    # A deleted translation leaves no stale index row behind.
    """CREATE TRIGGER knowledge_fts_translation_delete AFTER DELETE
        ON knowledge_articletranslation BEGIN
        DELETE FROM knowledge_fts WHERE rowid = old.id;
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS knowledge_fts_translation_delete",
    "DROP TRIGGER IF EXISTS knowledge_term_trgm_delete",
    "DROP TRIGGER IF EXISTS knowledge_term_trgm_insert",
    "DROP TABLE IF EXISTS knowledge_term_trgm",
    "DROP TABLE IF EXISTS knowledge_fts",
]
POSTGRES_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE knowledge_articletranslation ADD COLUMN search_vector tsvector",
    """CREATE INDEX knowledge_translation_search ON knowledge_articletranslation
        USING gin (search_vector)""",
    """CREATE INDEX knowledge_search_term_trgm ON knowledge_searchterm
        USING gin (term gin_trgm_ops)""",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS knowledge_search_term_trgm",
    "DROP INDEX IF EXISTS knowledge_translation_search",
    "ALTER TABLE knowledge_articletranslation DROP COLUMN IF EXISTS search_vector",
]


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
    dependencies = [("knowledge", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
