"""The agent workspace's websocket: live timeline updates, list refreshes and presence.

Thin on purpose (STYLE.md 3.4): it authenticates, joins groups and forwards what arrives.
Who receives what is decided where events are published (core/realtime.py and the
services). Frames carry ids and sequence numbers only; pages fetch content over HTTP, where
the usual access checks and rendering apply.

Client frames:
    {"type": "watch", "conversation": <id>, "after": <sequence>}
    {"type": "unwatch"}
    {"type": "presence", "conversation": <id>, "state": "viewing" | "replying" | "left"}
Server frames:
    {"type": "event", "name": ..., "conversation_id": ..., "sequence": ..., "data": {...}}
    {"type": "catchup", "conversation": <id>, "sequences": [<sequence>, ...]}
    {"type": "error", "code": "invalid" | "forbidden" | "not_watching", "request": <type>}

Presence never touches the database. Watching implies "viewing"; every agent already
watching answers a "viewing" with its own state, so a newcomer learns who is there.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from channels.db import database_sync_to_async

from storedesk.accounts.models import User
from storedesk.conversations.access import conversations_visible_to_agent, visible_inbox_ids
from storedesk.conversations.models import Conversation
from storedesk.conversations.selectors import timeline_sequences_after
from storedesk.core.consumers import TolerantJsonConsumer
from storedesk.core.realtime import (
    agent_group,
    conversation_group,
    inbox_agents_group,
    layer_message,
)
from storedesk.core.realtime_events import PRESENCE_CHANGED, RealtimeEvent
from storedesk.inboxes.models import Inbox

# 4000-4999 are application codes; 4401 mirrors HTTP 401 so the page knows to sign in again.
CLOSE_UNAUTHENTICATED = 4401
PRESENCE_STATES = frozenset({"viewing", "replying", "left"})
# A watched conversation's event arrives twice (conversation and inbox group); this many
# recent events are remembered to forward it once.
RECENT_EVENTS_KEPT = 64


def _agent_groups(agent: User) -> list[str]:
    inbox_ids = visible_inbox_ids(agent)
    if inbox_ids is None:  # administrators see every inbox
        inbox_ids = list(Inbox.objects.values_list("pk", flat=True))
    return [agent_group(agent.pk), *(inbox_agents_group(pk) for pk in inbox_ids)]


def _watchable(agent: User, conversation_id: int) -> Conversation | None:
    return conversations_visible_to_agent(agent).filter(pk=conversation_id).first()


def _count(value: object) -> int | None:
    """A non-negative integer from a client frame, or None (JSON true is not 1)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


class AgentConsumer(TolerantJsonConsumer):
    agent: User
    watching: int | None
    state: str
    present: dict[int, str]
    recent: deque[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # Accept before closing: a socket refused during the handshake reaches the browser
            # as a bare 403/1006, and the page could not tell "sign in again" from "network down".
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.agent = user
        self.watching = None
        self.state = "left"
        self.present = {}  # other agents on the watched conversation: id -> state
        self.recent = deque(maxlen=RECENT_EVENTS_KEPT)
        for group in await database_sync_to_async(_agent_groups)(user):
            await self.join(group)
        # Accepted once joined: every event of the agent's inboxes published after the page
        # hears the accept reaches it (events arriving meanwhile wait for this handler to end).
        await self.accept()

    async def join(self, group: str) -> None:
        # Kept in self.groups so Channels discards them all on disconnect.
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups.append(group)

    async def leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups.remove(group)

    async def disconnect(self, code: int) -> None:
        # A closed tab or a dropped network must not leave "Anna is viewing" behind.
        if getattr(self, "watching", None) is not None and self.state != "left":
            await self.broadcast_presence("left", is_answer=False)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        handlers: dict[str, Callable[[Mapping[str, Any]], Awaitable[None]]] = {
            "watch": self.on_watch,
            "unwatch": self.on_unwatch,
            "presence": self.on_presence,
        }
        kind = content.get("type") if isinstance(content, dict) else None
        handler = handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.send_error("invalid", kind)
            return
        await handler(content)

    async def on_watch(self, content: Mapping[str, Any]) -> None:
        conversation_id, after = _count(content.get("conversation")), _count(content.get("after"))
        if conversation_id is None or after is None:
            await self.send_error("invalid", "watch")
            return
        conversation = await database_sync_to_async(_watchable)(self.agent, conversation_id)
        if conversation is None:
            await self.send_error("forbidden", "watch")
            return
        if self.watching != conversation_id:
            await self.on_unwatch({})
            await self.join(conversation_group(conversation_id))
            self.watching = conversation_id
        # Joined before reading: an entry committed in between arrives as an event, and
        # may also be in the catch-up; the page drops duplicates by sequence.
        sequences = await database_sync_to_async(timeline_sequences_after)(
            conversation=conversation, after=after
        )
        await self.send_json(
            {"type": "catchup", "conversation": conversation_id, "sequences": sequences}
        )
        self.state = "viewing"
        await self.broadcast_presence("viewing", is_answer=False)

    async def on_unwatch(self, content: Mapping[str, Any]) -> None:
        if self.watching is None:
            return
        if self.state != "left":
            await self.broadcast_presence("left", is_answer=False)
        await self.leave(conversation_group(self.watching))
        self.watching, self.state, self.present = None, "left", {}

    async def on_presence(self, content: Mapping[str, Any]) -> None:
        state = content.get("state")
        if state not in PRESENCE_STATES:
            await self.send_error("invalid", "presence")
            return
        # Only into the conversation this socket watches, which access was checked for.
        if self.watching is None or _count(content.get("conversation")) != self.watching:
            await self.send_error("not_watching", "presence")
            return
        self.state = state
        await self.broadcast_presence(state, is_answer=False)

    async def broadcast_presence(self, state: str, *, is_answer: bool) -> None:
        assert self.watching is not None
        event = RealtimeEvent(
            name=PRESENCE_CHANGED,
            conversation_id=self.watching,
            data={
                "agent_id": self.agent.pk,
                "name": self.agent.name,
                "state": state,
                "is_answer": is_answer,
            },
        )
        # Sent from async code and at once: presence is ephemeral and belongs to no transaction.
        await self.channel_layer.group_send(
            conversation_group(self.watching), layer_message([event])
        )

    async def event_received(self, event: dict[str, Any]) -> None:
        """A published event (core.realtime), forwarded as a frame of its own."""
        if event["name"] == PRESENCE_CHANGED:
            await self.presence_received(event)
            return
        key = json.dumps(event, sort_keys=True)
        if key in self.recent:
            return
        self.recent.append(key)
        await self.send_json({"type": "event", **event})

    async def presence_received(self, event: dict[str, Any]) -> None:
        data = event["data"]
        other, state = data["agent_id"], data["state"]
        if event["conversation_id"] != self.watching or other == self.agent.pk:
            return
        is_newcomer = other not in self.present
        if state == "left":
            self.present.pop(other, None)
        else:
            self.present[other] = state
        await self.send_json({"type": "event", **event})
        # Answers are never answered, so one watch costs one reply per agent present.
        wants_answer = state != "left" and not data.get("is_answer")
        if wants_answer and (is_newcomer or state == "viewing") and self.state != "left":
            await self.broadcast_presence(self.state, is_answer=True)

    async def send_error(self, code: str, request: object) -> None:
        await self.send_json({"type": "error", "code": code, "request": request})
