"""Search indexes messages one by one instead of one growing text per conversation.

Until now every message was appended to `Conversation.search_text`, and the index re-read
that whole text (up to 20,000 characters) on every new message: the largest single write
cost of mail intake and of live chat. Now each message is indexed once, when it is
written, and the conversation's header (subject, customer's name and address) travels
with its opening message (`Message.search_header`), so a word is found through one
semi-join over messages, whose size the planner can estimate (conversations/search.py).

What is indexed of a message: its search_header, then its text up to the signature
separator ("\\n-- \\n": an agent's name in every signature would otherwise match all
their replies), at most 20,000 characters of it. The same expression is in both
backends' index and in the search.

SQLite: a contentless FTS5 table with the trigram tokenizer, kept in step by triggers.
PostgreSQL: pg_trgm's GIN index over the expression. Existing conversations' search_text
(header and messages) moves to their opening message's search_header, so they are found
as before (their words then match twice, never wrongly).
"""

import importlib

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def _sqlite_searchable(row: str) -> str:
    separator = "char(10) || '-- ' || char(10)"
    text = f"{row}.text"
    own_words = (
        f"CASE WHEN instr({text}, {separator}) > 0 "
        f"THEN substr({text}, 1, instr({text}, {separator}) - 1) ELSE {text} END"
    )
    return f"{row}.search_header || char(10) || substr({own_words}, 1, 20000)"


SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE message_fts USING fts5(body, content='', tokenize='trigram')",
    f"""CREATE TRIGGER message_fts_insert AFTER INSERT ON conversations_message BEGIN
        INSERT INTO message_fts(rowid, body) VALUES (new.id, {_sqlite_searchable("new")});
    END""",  # noqa: S608 (constant fragments, as below)
    f"""CREATE TRIGGER message_fts_delete AFTER DELETE ON conversations_message BEGIN
        INSERT INTO message_fts(message_fts, rowid, body)
        VALUES ('delete', old.id, {_sqlite_searchable("old")});
    END""",  # noqa: S608
    f"""CREATE TRIGGER message_fts_update AFTER UPDATE OF text, search_header
        ON conversations_message BEGIN
        INSERT INTO message_fts(message_fts, rowid, body)
        VALUES ('delete', old.id, {_sqlite_searchable("old")});
        INSERT INTO message_fts(rowid, body) VALUES (new.id, {_sqlite_searchable("new")});
    END""",  # noqa: S608
    f"""INSERT INTO message_fts(rowid, body)
        SELECT m.id, {_sqlite_searchable("m")} FROM conversations_message AS m""",  # noqa: S608
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS message_fts_update",
    "DROP TRIGGER IF EXISTS message_fts_delete",
    "DROP TRIGGER IF EXISTS message_fts_insert",
    "DROP TABLE IF EXISTS message_fts",
]
# Keep in step with conversations/search.py (POSTGRES_SEARCHABLE).
POSTGRES_CREATE = [
    """CREATE INDEX IF NOT EXISTS message_search_trgm ON conversations_message USING gin (
        UPPER(search_header || E'\\n' || LEFT(split_part(text, E'\\n-- \\n', 1), 20000))
        gin_trgm_ops)""",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS message_search_trgm"]

# The conversation-level index of migration 0002.
OLD_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS conversation_fts_update",
    "DROP TRIGGER IF EXISTS conversation_fts_delete",
    "DROP TRIGGER IF EXISTS conversation_fts_insert",
    "DROP TABLE IF EXISTS conversation_fts",
]
OLD_POSTGRES_DROP = ["DROP INDEX IF EXISTS conversation_search_trgm"]

HEADERS_TO_OPENING_MESSAGES = """
    UPDATE conversations_message SET search_header = (
        SELECT c.search_text FROM conversations_conversation AS c
        WHERE c.id = conversations_message.conversation_id)
    WHERE id IN (SELECT min(id) FROM conversations_message GROUP BY conversation_id)"""
def _run(schema_editor: BaseDatabaseSchemaEditor, sqlite: list[str], postgres: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": sqlite, "postgresql": postgres}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def index_messages(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute(HEADERS_TO_OPENING_MESSAGES)
    _run(schema_editor, OLD_SQLITE_DROP, OLD_POSTGRES_DROP)
    _run(schema_editor, SQLITE_CREATE, POSTGRES_CREATE)


def index_conversations(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Back to migration 0002: search_text rebuilt from the header and the messages."""
    old = importlib.import_module("storedesk.conversations.migrations.0002_search_index")
    _run(schema_editor, SQLITE_DROP, POSTGRES_DROP)
    conversation_model = apps.get_model("conversations", "Conversation")
    message_model = apps.get_model("conversations", "Message")
    for conversation in conversation_model.objects.only("pk").iterator():
        parts = message_model.objects.filter(conversation=conversation).order_by("sequence")
        texts = [f"{header}\n{text}" for header, text in parts.values_list("search_header", "text")]
        conversation.search_text = "\n".join(texts).strip()[:20_000]
        conversation.save(update_fields=["search_text"])
    old.create(apps, schema_editor)
    _run(schema_editor, ["INSERT INTO conversation_fts(conversation_fts) VALUES ('rebuild')"], [])


class Migration(migrations.Migration):
    dependencies = [("conversations", "0005_message_bounced_event")]
    operations = [
        migrations.AddField(
            model_name="message",
            name="search_header",
            field=models.TextField(blank=True, default=""),
        ),
        # Before the field goes: SQLite rebuilds the table then, and the old triggers name it.
        migrations.RunPython(index_messages, index_conversations),
        migrations.RemoveField(model_name="conversation", name="search_text"),
    ]
