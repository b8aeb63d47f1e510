"""The chat console's socket (`/ws/chat/agent/`): an agent's chats, the queue, the seats."""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation

from storedesk.accounts.models import Team, User
from storedesk.chat import events
from storedesk.chat.access import access_chat_for_agent
from storedesk.chat.consumers.base import (
    CLOSE_UNAUTHENTICATED,
    Handler,
    JsonFrames,
    OrderedWrites,
    count_of,
    db,
    text_of,
)
from storedesk.chat.errors import ChatError
from storedesk.chat.models import Chat
from storedesk.chat.realtime import typing_publish
from storedesk.chat.selectors import (
    EntryDict,
    agent_seats,
    chat_entries_for_agent,
    chat_list_active_for_agent,
    chat_queue_for_agent,
    chat_state,
)
from storedesk.chat.services import (
    SendResult,
    agent_availability_set,
    chat_end,
    chat_message_send_agent,
    chat_read_mark,
    chat_transfer,
)
from storedesk.core.realtime import agent_group, conversation_group
from storedesk.core.realtime_events import TIMELINE_APPENDED

# A watched chat's access check (and the chat row with it) is reused for this long, so a
# busy agent's every line does not repeat it; losing access takes effect within this time.
ACCESS_RECHECK_SECONDS = 30.0


def _checked_at_spread() -> float:
    """When a chat just checked counts as checked: up to half the interval earlier, at
    random. Chats watched together (an agent's socket connecting, a server restart) would
    otherwise all come due at once, and their checks, queued on SQLite's one database thread
    ahead of the writes, held every line for a second (bench/chat.py, 100 chats)."""
    return time.monotonic() - random.uniform(0, ACCESS_RECHECK_SECONDS / 2)  # noqa: S311


def _agent_groups(agent: User) -> list[str]:
    team_ids = Team.objects.filter(members=agent).values_list("pk", flat=True)
    return [agent_group(agent.pk), *(events.queue_group(team_id) for team_id in team_ids)]


def _agent_hello(agent: User) -> dict[str, Any]:
    return {
        "type": "hello",
        "agent": agent_seats(agent=agent),
        "chats": chat_list_active_for_agent(agent=agent),
        "queue": chat_queue_for_agent(agent=agent),
    }


def _transfer(agent: User, chat: Chat, to_agent_id: int | None, to_team_id: int | None) -> Chat:
    to_agent = User.objects.filter(pk=to_agent_id, is_active=True).first() if to_agent_id else None
    to_team = Team.objects.filter(pk=to_team_id).first() if to_team_id else None
    if (to_agent_id and to_agent is None) or (to_team_id and to_team is None):
        raise ChatError("invalid")
    return chat_transfer(chat=chat, actor=agent, to_agent=to_agent, to_team=to_team)


@dataclass
class _Watched:
    chat: Chat
    checked_at: float
    last_sent: int


class ChatAgentConsumer(JsonFrames):
    """The chat console's socket: several chats at once, the queue, the agent's seats.

    `watching` holds each watched chat as its access check loaded it, refreshed at most
    every ACCESS_RECHECK_SECONDS and its state from `chat.state` events in between.
    """

    agent: User
    watching: dict[int, _Watched]
    writes: OrderedWrites

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()  # then close with a reason the page can read (see AgentConsumer)
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.agent, self.watching, self.writes = user, {}, OrderedWrites()
        # As UserTimezoneMiddleware does for the console page: the entries this socket reads
        # name events and unnamed visitors in the agent's language (for the socket's life).
        translation.activate(user.language or settings.LANGUAGE_CODE)
        for group in await db(_agent_groups)(user):
            await self.join(group)
        hello = await db(_agent_hello)(user)
        for summary in hello["chats"]:
            await self.watch(summary["conversation"], summary["last_sequence"])
        await self.send_json(hello)

    def handlers(self) -> dict[str, Handler]:
        return {
            "join": self.on_join,
            "leave": self.on_leave,
            "send": self.on_send,
            "typing": self.on_typing,
            "read": self.on_read,
            "end": self.on_end,
            "transfer": self.on_transfer,
            "status": self.on_status,
        }

    async def chat_for(self, content: Mapping[str, Any]) -> Chat:
        """The frame's chat, access-checked (again, when the last check is too old)."""
        conversation_id = count_of(content.get("conversation"))
        if conversation_id is None:
            raise ChatError("invalid")
        watched = self.watching.get(conversation_id)
        if watched is not None and time.monotonic() - watched.checked_at < ACCESS_RECHECK_SECONDS:
            return watched.chat
        chat: Chat = await db(access_chat_for_agent)(
            agent=self.agent, conversation_id=conversation_id
        )
        if watched is not None:
            watched.chat, watched.checked_at = chat, _checked_at_spread()
        return chat

    async def watch(self, conversation_id: int, after: int) -> Chat:
        chat = await db(access_chat_for_agent)(agent=self.agent, conversation_id=conversation_id)
        await self.join(conversation_group(chat.pk))
        watched = self.watching.get(chat.pk)
        last_sent = max(after, watched.last_sent) if watched else after
        self.watching[chat.pk] = _Watched(chat, _checked_at_spread(), last_sent)
        return chat

    async def on_join(self, content: Mapping[str, Any]) -> None:
        conversation_id = count_of(content.get("conversation"))
        after = count_of(content.get("after"))
        if conversation_id is None or after is None:
            raise ChatError("invalid")
        chat = await self.watch(conversation_id, after)
        # Asked for explicitly: everything after `after`, even entries already sent live.
        await self.entries_send(chat.pk, after)
        state = await db(chat_state)(chat=chat)
        await self.send_json({"type": "state", "conversation": chat.pk, "chat": state})

    async def on_leave(self, content: Mapping[str, Any]) -> None:
        conversation_id = count_of(content.get("conversation"))
        if conversation_id in self.watching:
            await self.leave(conversation_group(conversation_id))
            self.watching.pop(conversation_id)

    async def entries_send(self, conversation_id: int, after: int) -> None:
        watched = self.watching[conversation_id]
        entries: list[EntryDict] = await db(chat_entries_for_agent)(chat=watched.chat, after=after)
        for entry in entries:
            await self.send_json({"type": "entry", "conversation": conversation_id, "entry": entry})
            watched.last_sent = max(watched.last_sent, entry["sequence"])

    async def entry_received(self, watched: _Watched, data: dict[str, Any]) -> None:
        """chat.entry: sent on as is when this socket has passed everything before it."""
        entry: EntryDict = data["entry"]
        if entry["sequence"] <= watched.last_sent:
            return
        if watched.last_sent < data["after"]:
            await self.entries_send(watched.chat.pk, watched.last_sent)
            return
        await self.send_json({"type": "entry", "conversation": watched.chat.pk, "entry": entry})
        watched.last_sent = entry["sequence"]

    async def on_send(self, content: Mapping[str, Any]) -> None:
        """Queues the write and goes on to the next frame; the ack follows the commit."""
        chat = await self.chat_for(content)
        written = self.writes.start(
            chat_message_send_agent,
            chat=chat,
            agent=self.agent,
            text=text_of(content.get("text")),
            client_id=text_of(content.get("client_id")),
            is_note=content.get("note") is True,
        )
        self.answer_later(content, self._ack_when_written(chat, content, written))

    async def _ack_when_written(
        self, chat: Chat, content: Mapping[str, Any], written: Awaitable[SendResult]
    ) -> None:
        result = await written
        await self.send_json(
            {
                "type": "ack",
                "conversation": chat.pk,
                "client_id": content.get("client_id"),
                "sequence": result.message.sequence,
            }
        )

    async def on_typing(self, content: Mapping[str, Any]) -> None:
        conversation_id = count_of(content.get("conversation"))
        if conversation_id is None or conversation_id not in self.watching:
            raise ChatError("not_watching")
        await typing_publish(
            conversation_id=conversation_id,
            who="agent",
            name=self.agent.name,
            is_typing=content.get("is_typing") is True,
        )

    async def on_read(self, content: Mapping[str, Any]) -> None:
        chat, sequence = await self.chat_for(content), count_of(content.get("sequence"))
        if sequence is None:
            raise ChatError("invalid")
        await db(chat_read_mark)(chat=chat, reader="agent", sequence=sequence)

    async def on_end(self, content: Mapping[str, Any]) -> None:
        chat = await self.chat_for(content)
        await db(chat_end)(chat=chat, actor=self.agent)

    async def on_transfer(self, content: Mapping[str, Any]) -> None:
        chat = await self.chat_for(content)
        await db(_transfer)(
            self.agent, chat, count_of(content.get("agent")), count_of(content.get("team"))
        )

    async def on_status(self, content: Mapping[str, Any]) -> None:
        status = content.get("status")
        if status not in ("online", "away", "offline"):
            raise ChatError("invalid")
        await db(agent_availability_set)(agent=self.agent, status=status)

    async def event_received(self, event: dict[str, Any]) -> None:
        name, data, conversation_id = event["name"], event["data"], event["conversation_id"]
        watched = self.watching.get(conversation_id)
        if name == events.CHAT_ENTRY and watched:
            await self.entry_received(watched, data)
        elif name == TIMELINE_APPENDED and watched:
            if event["sequence"] > watched.last_sent:
                await self.entries_send(conversation_id, watched.last_sent)
        elif name == events.CHAT_ASSIGNED:
            await self.watch(conversation_id, data["last_sequence"])
            await self.send_json({"type": "assigned", "chat": data})
        elif name == events.CHAT_UNASSIGNED:
            await self.send_json({"type": "unassigned", "conversation": conversation_id})
        elif name == events.CHAT_AGENT:
            await self.send_json({"type": "agent", "agent": data})
        elif name == events.CHAT_QUEUE_CHANGED:
            queue = await db(chat_queue_for_agent)(agent=self.agent)
            await self.send_json({"type": "queue", "queue": queue})
        elif name == events.CHAT_STATE and watched:
            await self.state_received(watched, data)
        elif (
            name in (events.CHAT_TYPING, events.CHAT_READ) and watched and data["who"] == "visitor"
        ):
            frame = {k: v for k, v in data.items() if k != "who"}
            await self.send_json(
                {"type": name.removeprefix("chat."), "conversation": conversation_id, **frame}
            )

    async def state_received(self, watched: _Watched, state: dict[str, Any]) -> None:
        # The kept chat follows what the services announce (ended, answered, moved on), so
        # its sends check the state of now, not of the last access check.
        if state["state"] != watched.chat.state:
            watched.checked_at = 0.0  # agent, team or seat may have changed too: reload
        await self.send_json({"type": "state", "conversation": watched.chat.pk, "chat": state})
