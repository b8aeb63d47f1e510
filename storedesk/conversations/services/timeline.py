"""Timeline bookkeeping shared by every service: sequence numbers, events and live updates."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from storedesk.accounts.models import User
from storedesk.conversations.enums import EventType
from storedesk.conversations.models import Conversation, ConversationEvent
from storedesk.core.realtime import conversation_group, inbox_agents_group, publish_on_commit
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
    Conversation.objects.filter(pk=conversation.pk).update(last_sequence=F("last_sequence") + 1)
    sequence = Conversation.objects.values_list("last_sequence", flat=True).get(pk=conversation.pk)
    conversation.last_sequence = sequence
    return sequence


def event_record(
    *,
    conversation: Conversation,
    type: EventType,
    actor: User | None,
    data: dict[str, Any] | None = None,
) -> ConversationEvent:
    """Append an event to the timeline and publish it after commit."""
    event = ConversationEvent.objects.create(
        conversation=conversation,
        sequence=sequence_take_next(conversation),
        type=type,
        actor=actor,
        data=data or {},
    )
    timeline_publish(conversation=conversation, sequence=event.sequence)
    return event


def timeline_publish(*, conversation: Conversation, sequence: int) -> None:
    publish_on_commit(
        _groups(conversation),
        RealtimeEvent(name=TIMELINE_APPENDED, conversation_id=conversation.pk, sequence=sequence),
    )


def conversation_publish_update(*, conversation: Conversation, fields: list[str]) -> None:
    publish_on_commit(
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
