"""The schema every backend gets: each foreign key can be followed through an index.

PostgreSQL does not index foreign keys by itself, and some of ours have no index of their
own because a composite index leads with them (conversations migration 0008). Without one,
deleting a customer or an inbox, or listing a conversation's messages, reads whole tables.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

pytestmark = pytest.mark.django_db


def _leading_columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        constraint["columns"][0]
        for constraint in constraints.values()
        if (constraint["index"] or constraint["unique"] or constraint["primary_key"])
        and constraint["columns"]
    }


def test_every_foreign_key_leads_an_index() -> None:
    checked, unindexed = [], []
    for model in apps.get_models():
        if not model.__module__.startswith("storedesk.") or not model._meta.managed:
            continue
        leading = _leading_columns(model._meta.db_table)
        for field in model._meta.local_fields:
            if isinstance(field, models.ForeignKey):
                checked.append(f"{model._meta.db_table}.{field.column}")
                if field.column not in leading:
                    unindexed.append(checked[-1])

    assert unindexed == []
    assert "conversations_message.conversation_id" in checked
    assert "conversations_conversation.inbox_id" in checked
