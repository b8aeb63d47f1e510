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
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "conversations_conversation_assignee_id_e845f644"',
                    'CREATE INDEX IF NOT EXISTS "conversations_conversation_assignee_id_e845f644" ON "conversations_conversation" ("assignee_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "conversations_conversation_customer_id_afb78c4a"',
                    'CREATE INDEX IF NOT EXISTS "conversations_conversation_customer_id_afb78c4a" ON "conversations_conversation" ("customer_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "conversations_conversation_inbox_id_c97f6da0"',
                    'CREATE INDEX IF NOT EXISTS "conversations_conversation_inbox_id_c97f6da0" ON "conversations_conversation" ("inbox_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "conversations_conversation_team_id_c9f144f2"',
                    'CREATE INDEX IF NOT EXISTS "conversations_conversation_team_id_c9f144f2" ON "conversations_conversation" ("team_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "conversations_conversationevent_conversation_id_57114e51"',
                    'CREATE INDEX IF NOT EXISTS "conversations_conversationevent_conversation_id_57114e51" ON "conversations_conversationevent" ("conversation_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "conversations_message_conversation_id_f1a2d5e9"',
                    'CREATE INDEX IF NOT EXISTS "conversations_message_conversation_id_f1a2d5e9" ON "conversations_message" ("conversation_id")',
                ),
            ],
        ),
    ]
