"""Who is told what about chats (STYLE.md 3.4: decided here, never in consumers).

Everything goes out after commit through core.realtime, except typing, which belongs to
no transaction and is sent at once.
"""

from __future__ import annotations

from collections.abc import Callable

from channels.layers import get_channel_layer
from django.db import transaction

from storedesk.accounts.models import User
from storedesk.chat import events
from storedesk.chat.models import Chat
from storedesk.chat.selectors import (
    EntryDict,
    agent_seats,
    chat_state,
    chat_summary,
    queue_estimate,
    queued_chats,
)
from storedesk.conversations.services.timeline import publish_reserved_on_commit
from storedesk.core.realtime import (
    agent_group,
    conversation_group,
    layer_message,
    publish_on_commit,
)
from storedesk.core.realtime_events import RealtimeEvent


def entry_announce(conversation_id: int) -> Callable[[EntryDict], None]:
    """Reserve the first place in the commit's live updates for an entry written next.

    Call inside the transaction before the write; call the returned function with the
    entry once written. The place is taken before the write's own live updates, so
    sockets get `chat.entry` ahead of conversations' `timeline.appended` for the same
    sequence (which they then skip). Nothing is sent when the entry never comes (the
    write was a retry that rolled back to its savepoint) or the transaction rolls back.
    """
    assert transaction.get_connection().in_atomic_block, "call inside the write's transaction"
    written: list[EntryDict] = []

    def entry_events() -> list[tuple[list[str], RealtimeEvent]]:
        return [
            (
                [conversation_group(conversation_id)],
                RealtimeEvent(
                    name=events.CHAT_ENTRY,
                    conversation_id=conversation_id,
                    sequence=entry["sequence"],
                    data={"after": entry["sequence"] - 1, "entry": dict(entry)},
                ),
            )
            for entry in written
        ]

    publish_reserved_on_commit(entry_events)
    return written.append


def state_publish(chat: Chat) -> None:
    """The chat's state to its visitor and to agents looking at it."""
    event = RealtimeEvent(
        name=events.CHAT_STATE, conversation_id=chat.pk, data=dict(chat_state(chat=chat))
    )
    publish_on_commit([events.visitor_group(chat.visitor_id), conversation_group(chat.pk)], event)


def queue_publish(team_id: int | None) -> None:
    """Every waiting visitor's new position and estimate, and a queue refresh for agents."""
    estimate = queue_estimate(team_id)
    chats = queued_chats(team_id).select_related("agent")
    for position, chat in enumerate(chats, start=1):
        data = chat_state(chat=chat, position=position, estimate=estimate)
        event = RealtimeEvent(name=events.CHAT_STATE, conversation_id=chat.pk, data=dict(data))
        publish_on_commit(
            [events.visitor_group(chat.visitor_id), conversation_group(chat.pk)], event
        )
    publish_on_commit(
        [events.queue_group(team_id)],
        RealtimeEvent(name=events.CHAT_QUEUE_CHANGED, conversation_id=0, data={"team_id": team_id}),
    )


def assigned_publish(chat: Chat) -> None:
    assert chat.agent is not None
    publish_on_commit(
        [agent_group(chat.agent.pk)],
        RealtimeEvent(
            name=events.CHAT_ASSIGNED, conversation_id=chat.pk, data=dict(chat_summary(chat))
        ),
    )
    seats_publish(chat.agent)


def unassigned_publish(chat: Chat, agent: User) -> None:
    publish_on_commit(
        [agent_group(agent.pk)], RealtimeEvent(name=events.CHAT_UNASSIGNED, conversation_id=chat.pk)
    )
    seats_publish(agent)


def seats_publish(agent: User) -> None:
    publish_on_commit(
        [agent_group(agent.pk)],
        RealtimeEvent(
            name=events.CHAT_AGENT, conversation_id=0, data=dict(agent_seats(agent=agent))
        ),
    )


def read_publish(chat: Chat, *, who: str, sequence: int) -> None:
    publish_on_commit(
        [conversation_group(chat.pk)],
        RealtimeEvent(
            name=events.CHAT_READ, conversation_id=chat.pk, data={"who": who, "sequence": sequence}
        ),
    )


async def typing_publish(*, conversation_id: int, who: str, name: str, is_typing: bool) -> None:
    """Ephemeral: straight to the channel layer, never the database."""
    layer = get_channel_layer()
    if layer is None:
        return
    event = RealtimeEvent(
        name=events.CHAT_TYPING,
        conversation_id=conversation_id,
        data={"who": who, "name": name, "is_typing": is_typing},
    )
    await layer.group_send(conversation_group(conversation_id), layer_message([event]))
