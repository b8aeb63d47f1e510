"""PostgreSQL: rebuild every translation's search_vector from the same words and Snowball
stems as the SQLite index (search/postgres.py: tsvector_literal) instead of to_tsvector with
the language's regconfig. Queries now send tsquery literals of those stems, so vectors
built the old way would no longer match. SQLite is unchanged."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

BATCH = 500


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    from storedesk.knowledge.search.postgres import tsvector_literal

    translations = apps.get_model("knowledge", "ArticleTranslation").objects.using(
        schema_editor.connection.alias
    )
    rows = translations.order_by("pk").values_list("pk", "language", "title", "plain_text")
    with schema_editor.connection.cursor() as cursor:
        last = 0
        while batch := list(rows.filter(pk__gt=last)[:BATCH]):
            cursor.executemany(
                "UPDATE knowledge_articletranslation SET search_vector = %s::tsvector "
                "WHERE id = %s",
                [
                    (tsvector_literal(language=language, title=title, body=body), pk)
                    for pk, language, title, body in batch
                ],
            )
            last = batch[-1][0]


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0005_search_title_body")]
    # Backwards: the old vectors are not rebuilt (code of that time would query them).
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
