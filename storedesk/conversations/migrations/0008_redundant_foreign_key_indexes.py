"""Drop the single-column indexes of foreign keys that a composite index already leads with.

Conversation.inbox, customer, team and assignee each lead one of the list indexes
(conv_inbox_recent and the like); Message.conversation and ConversationEvent.conversation
lead their (conversation, sequence) unique constraints. Their own indexes only cost
writes: four of a new conversation's 21 index entries, one of a message's six.

Only the indexes go. On SQLite an AlterField rebuilds the whole table, which would drop
the search index's triggers on messages (migration 0006), so the fields change in the
state only and the database runs DROP INDEX; the names are Django's for these columns,
the same on both databases.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (table, column, Django's name suffix): the names makemigrations gave these indexes.
_INDEXES = [
    ("conversations_conversation", "assignee_id", "e845f644"),
    ("conversations_conversation", "customer_id", "afb78c4a"),
    ("conversations_conversation", "inbox_id", "c97f6da0"),
    ("conversations_conversation", "team_id", "c9f144f2"),
    ("conversations_conversationevent", "conversation_id", "57114e51"),
    ("conversations_message", "conversation_id", "f1a2d5e9"),
]


def _index_dropped(table: str, column: str, suffix: str) -> migrations.RunSQL:
    name = f"{table}_{column}_{suffix}"
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{name}"',
        f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('conversations', '0007_message_search_pending'),
        ('customers', '0002_identity_bounce'),
        ('inboxes', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='conversation',
                    name='assignee',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_conversations', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='conversation',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='conversations', to='customers.customer'),
                ),
                migrations.AlterField(
                    model_name='conversation',
                    name='inbox',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='conversations', to='inboxes.inbox'),
                ),
                migrations.AlterField(
                    model_name='conversation',
                    name='team',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='conversations', to='accounts.team'),
                ),
                migrations.AlterField(
                    model_name='conversationevent',
                    name='conversation',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='conversations.conversation'),
                ),
                migrations.AlterField(
                    model_name='message',
                    name='conversation',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='conversations.conversation'),
                ),
            ],
            database_operations=[_index_dropped(*index) for index in _INDEXES],
        ),
    ]
