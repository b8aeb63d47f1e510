"""Search speed at 100,000 articles (bench/kb_search.py): prefix indexes, a narrow index and
GIN indexes without a pending list.

SQLite: the FTS5 tables are rebuilt with prefix indexes for two and three characters, so a
word being typed ("re"*) reads one list instead of merging the postings of every word that
starts with it. Both databases: a narrow index holding what search reads of each candidate
translation. Search joins up to a row budget of candidates (search/bounded.py) to the
translation table for the brand and audience filters, then reads the article and language
of the best;
in a translation row those columns come after the title, Markdown, HTML and plain text, so
SQLite walked each row's overflow pages to reach them (about 5 us a row, most of a search's
time at 20,000 articles). The index keys them by id, so the lookups read only the index.
PostgreSQL: its two GIN indexes stop collecting writes in a pending list (_gin_fastupdate).
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INDEX = "knowledge_translation_candidate"
COLUMNS = "brand_id, is_public, status, article_id, language"
TRIGGER = """CREATE TRIGGER knowledge_fts_translation_delete AFTER DELETE
    ON knowledge_articletranslation BEGIN
    DELETE FROM knowledge_fts_title WHERE rowid = old.id;
    DELETE FROM knowledge_fts_body WHERE rowid = old.id;
END"""


def _fts_rebuild(options: str) -> list[str]:
    """Both FTS5 tables recreated with `options`, their rows copied across (the delete
    trigger names them, so it goes first and comes back last)."""
    statements = ["DROP TRIGGER IF EXISTS knowledge_fts_translation_delete"]
    for table, column in (("knowledge_fts_title", "title"), ("knowledge_fts_body", "body")):
        statements += [
            f"CREATE VIRTUAL TABLE {table}_new USING fts5({column}, {options})",
            f"INSERT INTO {table}_new(rowid, {column}) SELECT rowid, {column} FROM {table}",  # noqa: S608
            f"DROP TABLE {table}",
            f"ALTER TABLE {table}_new RENAME TO {table}",
        ]
    return [*statements, TRIGGER]


def _gin_fastupdate(index: str, *, on: bool) -> list[str]:
    """Without fastupdate a write goes straight into the GIN index instead of its pending
    list, which every search reads in full and which the planner counts against the index
    (after the vocabulary of 100,000 articles went in, it chose a sequential scan over the
    trigram index: 15 ms a typo instead of 1)."""
    statements = [f"ALTER INDEX {index} SET (fastupdate = {'on' if on else 'off'})"]
    return statements if on else [*statements, f"SELECT gin_clean_pending_list('{index}')"]


GIN = ("knowledge_translation_search", "knowledge_search_term_trgm")
TOKENIZE = "tokenize='unicode61 remove_diacritics 0'"
FORWARD = {
    "sqlite": [
        *_fts_rebuild(f"{TOKENIZE}, prefix='2 3'"),
        f"CREATE INDEX {INDEX} ON knowledge_articletranslation (id, {COLUMNS})",
    ],
    "postgresql": [
        f"CREATE INDEX {INDEX} ON knowledge_articletranslation (id) INCLUDE ({COLUMNS})",
        *[statement for gin in GIN for statement in _gin_fastupdate(gin, on=False)],
    ],
}
BACKWARD = {
    "sqlite": [f"DROP INDEX IF EXISTS {INDEX}", *_fts_rebuild(TOKENIZE)],
    "postgresql": [
        f"DROP INDEX IF EXISTS {INDEX}",
        *[statement for gin in GIN for statement in _gin_fastupdate(gin, on=True)],
    ],
}


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, FORWARD)


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0006_search_vector_snowball_stems")]
    operations = [migrations.RunPython(forward, backward)]
