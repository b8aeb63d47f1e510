"""Timeline bookkeeping shared by every service: sequence numbers, events and live updates."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.db.models import Field, Model

from storedesk.accounts.models import User
from storedesk.conversations.enums import EventType
from storedesk.conversations.models import Conversation, ConversationEvent
from storedesk.conversations.services.deferred import insert_or_defer
from storedesk.core.realtime import (
    conversation_group,
    inbox_agents_group,
    layer_message,
    publish_now,
    publish_on_commit,
)
from storedesk.core.realtime_events import (
    CONVERSATION_UPDATED,
    TIMELINE_APPENDED,
    RealtimeEvent,
)


def sequence_take_next(conversation: Conversation) -> int:
    """Reserve the conversation's next timeline number.

    The UPDATE locks the conversation row until commit, so on PostgreSQL two writers to
    one conversation commit in sequence order; SQLite serialises all writers anyway.
    Must run inside a transaction.
    """
    sequence = counter_increment(Conversation, "last_sequence", pk=conversation.pk)
    if sequence is None:
        raise Conversation.DoesNotExist(f"conversation {conversation.pk}")
    conversation.last_sequence = sequence
    return sequence


def counter_increment(model: type[Model], field_name: str, *, pk: int) -> int | None:
    """Add one to `field_name` of row `pk` and return the new value; None without the row.

    One statement (UPDATE ... RETURNING, which SQLite has since 3.35 and PostgreSQL
    always had) instead of an UPDATE and a SELECT: intake runs this several times per mail.
    """
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    field = meta.get_field(field_name)
    assert isinstance(field, Field)
    column = connection.ops.quote_name(field.column)
    pk_column = connection.ops.quote_name(meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = {column} + 1 WHERE {pk_column} = %s "  # noqa: S608
            f"RETURNING {column}",
            [pk],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def event_record(
    *,
    conversation: Conversation,
    type: EventType,
    actor: User | None,
    data: dict[str, Any] | None = None,
) -> ConversationEvent:
    """Append an event to the timeline and publish it after commit."""
    return event_insert(
        conversation=conversation,
        sequence=sequence_take_next(conversation),
        type=type,
        actor=actor,
        data=data,
    )


def event_insert(
    *,
    conversation: Conversation,
    sequence: int,
    type: EventType,
    actor: User | None,
    data: dict[str, Any] | None = None,
) -> ConversationEvent:
    """event_record with a sequence number the caller already reserved. Inside
    `inserts_deferred` (mail intake batches) the row is written at the block's end."""
    event = insert_or_defer(
        ConversationEvent(
            conversation=conversation,
            sequence=sequence,
            type=type,
            actor=actor,
            data=data or {},
        )
    )
    timeline_publish(conversation=conversation, sequence=event.sequence)
    return event


logger = logging.getLogger(__name__)

_Pending = list[tuple[list[str], RealtimeEvent]]
# Set inside `live_updates_coalesced`: the events its transaction has committed so far.
_coalesced: ContextVar[_Pending | None] = ContextVar("timeline_coalesced", default=None)


@contextlib.contextmanager
def live_updates_coalesced() -> Iterator[None]:
    """Send the live updates of everything written inside at once, after commit.

    For bulk writers (mail intake batches, chat lines): one pass through the channel layer
    per commit, one message per group carrying all of that group's events, instead of a
    send per event and group. Enter it inside the
    transaction (atomic block) whose commit publishes. Each event is still collected by its
    own on_commit hook, so events of a rolled-back savepoint are never sent. Nested blocks
    join the outermost one.
    """
    if _coalesced.get() is not None:
        yield  # inside another coalesced block: its commit publishes these too
        return
    pending: _Pending = []
    token = _coalesced.set(pending)
    try:
        yield
    finally:
        _coalesced.reset(token)
    # Registered last, so it runs after every collecting hook of the transaction.
    transaction.on_commit(lambda: _publish_together(pending))


def _publish(groups: list[str], event: RealtimeEvent) -> None:
    pending = _coalesced.get()
    if pending is None:
        publish_on_commit(groups, event)
    else:
        transaction.on_commit(lambda: pending.append((groups, event)))


def publish_reserved_on_commit(events: Callable[[], _Pending]) -> None:
    """Publish after commit the events that `events()` returns then, in this call's place.

    For a writer that must go out before the live updates of what it is about to write
    (chat.entry before timeline.appended) but knows its events only after writing: the
    place in the commit's order is taken now. Coalesced inside `live_updates_coalesced`.
    """
    pending = _coalesced.get()
    if pending is None:
        transaction.on_commit(lambda: _publish_each(events()))
    else:
        transaction.on_commit(lambda: pending.extend(events()))


def _publish_each(pending: _Pending) -> None:
    for groups, event in pending:
        publish_now(groups, event)


def _publish_together(pending: _Pending) -> None:
    """core.realtime.publish_now for many events: one channel layer message per group.

    A group's events travel together in commit order (a socket relies on chat.entry coming
    before the same entry's timeline.appended), so one chat line costs a publish per group
    and a delivery per member instead of one per event; different groups go out side by
    side in one event loop run.
    """
    layer = get_channel_layer()
    if layer is None or not pending:
        return
    by_group: dict[str, list[RealtimeEvent]] = {}
    for groups, event in pending:
        for group in groups:
            by_group.setdefault(group, []).append(event)

    async def send(group: str, events: list[RealtimeEvent]) -> None:
        try:
            await layer.group_send(group, layer_message(events))
        except Exception:  # a lost live update must never break the write
            logger.exception("realtime.publish.failed", extra={"group": group})

    async def send_all() -> None:
        await asyncio.gather(*(send(group, events) for group, events in by_group.items()))

    async_to_sync(send_all)()


def timeline_publish(*, conversation: Conversation, sequence: int) -> None:
    _publish(
        _groups(conversation),
        RealtimeEvent(name=TIMELINE_APPENDED, conversation_id=conversation.pk, sequence=sequence),
    )


def conversation_publish_update(*, conversation: Conversation, fields: list[str]) -> None:
    _publish(
        _groups(conversation),
        RealtimeEvent(
            name=CONVERSATION_UPDATED,
            conversation_id=conversation.pk,
            sequence=conversation.last_sequence,
            data={"fields": fields, "number": conversation.number},
        ),
    )


def _groups(conversation: Conversation) -> list[str]:
    return [conversation_group(conversation.pk), inbox_agents_group(conversation.inbox_id)]
