"""A line that changes nothing of its conversation but counters and times, in one statement.

A live chat's lines after the first leave their conversation as it is but for its counters
and times: it already has the status the reply leaves (open), the agent answering is its
assignee, and it has its first response. `message_reply`'s general path spends a locking
SELECT of the whole row (with its inbox), a sequence UPDATE and a save on that: more than
half of a chat line's time on the database thread (bench/chat.py). `reply_steady_advance`
does the same in one UPDATE ... RETURNING that applies only in that state, so the general
path still decides every other case. The UPDATE takes the row lock the SELECT FOR UPDATE
took, so the writers of one conversation still commit in sequence order. The same for a
customer's line (`receive_steady_advance`): one UPDATE unless it reopens the conversation.

Both return a copy of the caller's conversation brought up to date with the row, or None
with nothing changed; the caller's own object is left alone, because the caller's savepoint
may still roll the UPDATE back (a retried client id).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from storedesk.conversations.enums import ConversationStatus
from storedesk.conversations.models import Conversation

_STEADY_REPLY_SQL = """
    UPDATE {table}
    SET last_sequence = last_sequence + 1, message_count = message_count + 1,
        last_message_at = %(now)s, waiting_since = NULL, updated_at = %(now)s
    WHERE id = %(id)s AND status = %(status)s AND assignee_id = %(author)s
        AND first_response_at IS NOT NULL
    RETURNING last_sequence, message_count, number, inbox_id
"""


_STEADY_RECEIVE_SQL = """
    UPDATE {table}
    SET last_sequence = last_sequence + 1, message_count = message_count + 1,
        last_message_at = %(now)s, last_customer_message_at = %(now)s,
        waiting_since = COALESCE(waiting_since, %(now)s), updated_at = %(now)s
    WHERE id = %(id)s AND status NOT IN (%(pending)s, %(solved)s)
    RETURNING last_sequence, message_count, number, inbox_id, status, waiting_since
"""


def reply_steady_advance(
    conversation: Conversation, *, author_id: int, status: str
) -> Conversation | None:
    """Take the next sequence number for a reply by `author_id` that leaves the conversation
    in `status`, if the reply changes nothing else (module docstring). Must run inside a
    transaction (the row stays locked until it ends)."""
    now = timezone.now()
    params = {"id": conversation.pk, "status": status, "author": author_id}
    row = _advance(_STEADY_REPLY_SQL, now, params)
    if row is None:
        return None
    advanced = _advanced(conversation, row, now)
    advanced.waiting_since = None
    advanced.status, advanced.assignee_id = status, author_id
    return advanced


def receive_steady_advance(conversation: Conversation) -> Conversation | None:
    """Take the next sequence number for a customer's message, if it does not reopen the
    conversation (pending or solved: the general path records that). Must run inside a
    transaction (the row stays locked until it ends)."""
    now = timezone.now()
    params = {
        "id": conversation.pk,
        "pending": ConversationStatus.PENDING,
        "solved": ConversationStatus.SOLVED,
    }
    row = _advance(_STEADY_RECEIVE_SQL, now, params)
    if row is None:
        return None
    advanced = _advanced(conversation, row[:4], now)
    advanced.last_customer_message_at = now
    advanced.status = row[4]
    advanced.waiting_since = _datetime(row[5])
    return advanced


def _advance(sql: str, now: datetime, params: dict[str, Any]) -> tuple[Any, ...] | None:
    table = connection.ops.quote_name(Conversation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.format(table=table),
            {**params, "now": connection.ops.adapt_datetimefield_value(now)},
        )
        row = cursor.fetchone()
    return None if row is None else tuple(row)


def _advanced(conversation: Conversation, row: tuple[Any, ...], now: datetime) -> Conversation:
    advanced = copy.copy(conversation)
    advanced.last_sequence, advanced.message_count, advanced.number, advanced.inbox_id = row
    advanced.last_message_at = advanced.updated_at = now
    return advanced


def _datetime(value: Any) -> datetime | None:
    """A timestamp column read by raw SQL as the ORM would read it (SQLite returns text)."""
    if value is None or isinstance(value, datetime):
        return value
    column = Conversation._meta.get_field("waiting_since").get_col(Conversation._meta.db_table)
    for converter in [
        *connection.ops.get_db_converters(column),
        *column.get_db_converters(connection),
    ]:
        value = converter(value, column, connection)
    assert value is None or isinstance(value, datetime)
    return value
