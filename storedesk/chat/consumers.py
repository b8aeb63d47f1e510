"""The chat websockets: the visitor's widget and the agents' chat console.

Thin (STYLE.md 3.4): authenticate, join groups, call services through
database_sync_to_async, and render events for the audience as JSON. Frames are listed in
docs/subsystems/chat.md. Both sockets send timeline entries in sequence order, each once:
`last_sent` per conversation is the highest sequence this socket has passed, and an
announced sequence above it fetches everything after it from the database.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import connection
from django.http import Http404

from storedesk.accounts.models import Team, User
from storedesk.chat import events
from storedesk.chat.access import access_chat_for_agent, access_visitor_session
from storedesk.chat.errors import ChatError
from storedesk.chat.limits import visitor_rate_limit
from storedesk.chat.models import Chat, ChatWidget, VisitorSession
from storedesk.chat.realtime import typing_publish
from storedesk.chat.selectors import (
    EntryDict,
    agent_seats,
    chat_entries_for_agent,
    chat_entries_for_visitor,
    chat_get,
    chat_list_active_for_agent,
    chat_open_for_visitor,
    chat_queue_for_agent,
    chat_state,
)
from storedesk.chat.services import (
    PageView,
    agent_availability_set,
    chat_end,
    chat_message_send_agent,
    chat_message_send_visitor,
    chat_read_mark,
    chat_start,
    chat_transfer,
    visitor_page_record,
)
from storedesk.core.realtime import agent_group, conversation_group
from storedesk.core.realtime_events import TIMELINE_APPENDED

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403
# A typing signal is forwarded when it changes, or again after this many seconds.
TYPING_REPEAT_SECONDS = 3.0

Handler = Callable[[Mapping[str, Any]], Awaitable[None]]
P = ParamSpec("P")
R = TypeVar("R")


def db(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`func` run for a consumer, off the event loop.

    On PostgreSQL on the thread pool (thread_sensitive=False), so different chats' database
    work runs side by side: row locks order the writers of one conversation, and chat.entry's
    `after` lets a socket notice an entry overtaken by a later one. SQLite has one writer
    anyway, so there everything stays on Channels' one database thread.
    """
    wrapped: Callable[P, Awaitable[R]] = database_sync_to_async(
        func, thread_sensitive=connection.vendor == "sqlite"
    )
    return wrapped


def _count(value: object) -> int | None:
    """A non-negative integer from a client frame, or None (JSON true is not 1)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


class JsonFrames(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """Frame parsing, error frames and group bookkeeping shared by both sockets."""

    def handlers(self) -> dict[str, Handler]:
        raise NotImplementedError

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            content = json.loads(text_data or "")
        except ValueError:  # answered with an error frame instead of killing the socket
            content = None
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        handler = self.handlers().get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.send_error("invalid", kind)
            return
        try:
            await handler(content)
        except ChatError as error:
            await self.send_error(
                error.code, kind, message=error.message, client_id=content.get("client_id")
            )
        except Http404:
            await self.send_error("forbidden", kind)

    async def send_error(self, code: str, request: object, **extra: Any) -> None:
        frame = {"type": "error", "code": code, "request": request}
        frame.update({k: v for k, v in extra.items() if v is not None})
        await self.send_json(frame)

    async def join(self, group: str) -> None:
        if group not in self.groups:
            # Kept in self.groups so Channels discards them all on disconnect.
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups.append(group)

    async def leave(self, group: str) -> None:
        if group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.groups.remove(group)


def scope_header(scope: Mapping[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def scope_own_origin(scope: Mapping[str, Any]) -> str:
    """The origin the client connected to (same-origin pages always pass the origin check)."""
    secure = scope.get("scheme") in ("https", "wss")
    return f"{'https' if secure else 'http'}://{scope_header(scope, b'host')}"


def _visitor_hello(widget_key: str, token: str) -> tuple[VisitorSession, Chat | None] | None:
    widget = (
        ChatWidget.objects.select_related("inbox")
        .filter(key=widget_key, inbox__is_active=True)
        .first()
    )
    session = access_visitor_session(widget=widget, token=token) if widget else None
    if session is None:
        return None
    return session, chat_open_for_visitor(session)


def _widget_allows(widget_key: str, origin: str, own_origin: str) -> bool:
    widget = ChatWidget.objects.filter(key=widget_key).first()
    return widget is not None and widget.allows_origin(origin, own_origin=own_origin)


class VisitorConsumer(JsonFrames):
    """The widget's socket. The first frame must be a hello with the signed token."""

    session: VisitorSession | None
    chat: Chat | None
    last_sent: int
    last_state: dict[str, Any] | None
    typing_sent: tuple[bool, float]

    async def connect(self) -> None:
        self.session, self.chat, self.last_sent, self.last_state = None, None, 0, None
        self.typing_sent = (False, 0.0)
        await self.accept()

    def handlers(self) -> dict[str, Handler]:
        if self.session is None:
            return {"hello": self.on_hello}
        return {
            "hello": self.on_hello,
            "start": self.on_start,
            "send": self.on_send,
            "typing": self.on_typing,
            "read": self.on_read,
            "page": self.on_page,
            "end": self.on_end,
        }

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.session is None and not (
            isinstance(content, dict) and content.get("type") == "hello"
        ):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await super().receive_json(content, **kwargs)

    async def on_hello(self, content: Mapping[str, Any]) -> None:
        widget_key, after = _text(content.get("widget")), _count(content.get("after")) or 0
        origin, own_origin = scope_header(self.scope, b"origin"), scope_own_origin(self.scope)
        if not await db(_widget_allows)(widget_key, origin, own_origin):
            await self.close(code=CLOSE_FORBIDDEN_ORIGIN)
            return
        found = await db(_visitor_hello)(
            widget_key, _text(content.get("token"))
        )
        if found is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.session, chat = found
        await self.join(events.visitor_group(self.session.pk))
        await self.chat_follow(chat, after)

    async def chat_follow(self, chat: Chat | None, after: int) -> None:
        """Join the chat's group, then send its state and every entry after `after`.

        Joined before reading: an entry committed in between is both read here and
        announced, and `last_sent` lets it through once.
        """
        self.chat, self.last_sent = chat, after
        if chat is not None:
            await self.join(conversation_group(chat.pk))
        state = await db(chat_state)(chat=chat) if chat else None
        self.last_state = dict(state) if state else None
        await self.send_json({"type": "ready", "chat": state})
        await self.entries_send()

    async def entries_send(self) -> None:
        if self.chat is None:
            return
        entries = await db(chat_entries_for_visitor)(
            chat=self.chat, after=self.last_sent
        )
        for entry in entries:
            await self.send_json({"type": "entry", "entry": entry})
            self.last_sent = entry["sequence"]

    async def rate_limit(self) -> None:
        assert self.session is not None
        client = self.scope.get("client") or ("", 0)
        await db(visitor_rate_limit)(session_key=self.session.key, ip=client[0])

    async def on_start(self, content: Mapping[str, Any]) -> None:
        assert self.session is not None
        await self.rate_limit()
        chat = await db(chat_start)(
            session=self.session,
            text=_text(content.get("text")),
            client_id=_text(content.get("client_id")),
            name=_text(content.get("name")),
            email=_text(content.get("email")),
        )
        if self.chat is None or self.chat.pk != chat.pk:
            await self.chat_follow(chat, 0)
        await self.send_json(
            {"type": "ack", "client_id": content.get("client_id"), "conversation": chat.pk}
        )

    async def on_send(self, content: Mapping[str, Any]) -> None:
        if self.chat is None:
            raise ChatError("no_chat")
        await self.rate_limit()
        result = await db(chat_message_send_visitor)(
            chat=self.chat,
            text=_text(content.get("text")),
            client_id=_text(content.get("client_id")),
        )
        await self.send_json(
            {
                "type": "ack",
                "client_id": content.get("client_id"),
                "sequence": result.message.sequence,
            }
        )

    async def on_typing(self, content: Mapping[str, Any]) -> None:
        is_typing, now = content.get("is_typing") is True, time.monotonic()
        if self.chat is None or self.session is None:
            return
        if self.typing_sent[0] == is_typing and now - self.typing_sent[1] < TYPING_REPEAT_SECONDS:
            return
        self.typing_sent = (is_typing, now)
        name = str(self.chat.conversation.customer)
        await typing_publish(
            conversation_id=self.chat.pk, who="visitor", name=name, is_typing=is_typing
        )

    async def on_read(self, content: Mapping[str, Any]) -> None:
        sequence = _count(content.get("sequence"))
        if self.chat is None or sequence is None:
            raise ChatError("invalid")
        await db(chat_read_mark)(
            chat=self.chat, reader="visitor", sequence=sequence
        )

    async def on_page(self, content: Mapping[str, Any]) -> None:
        assert self.session is not None
        page = PageView(url=_text(content.get("url")), title=_text(content.get("title")))
        self.session = await db(visitor_page_record)(
            session=self.session, page=page
        )

    async def on_end(self, content: Mapping[str, Any]) -> None:
        if self.chat is not None:
            await db(chat_end)(chat=self.chat, actor=None)

    async def realtime_event(self, message: Mapping[str, Any]) -> None:
        event: dict[str, Any] = message["event"]
        name, data = event["name"], event["data"]
        current = self.chat.pk if self.chat else None
        if name == events.CHAT_ENTRY and event["conversation_id"] == current:
            await self.entry_received(data)
        elif name == TIMELINE_APPENDED and event["conversation_id"] == current:
            if event["sequence"] > self.last_sent:
                await self.entries_send()
        elif name == events.CHAT_STATE:
            await self.state_received(data)
        elif (
            name == events.CHAT_TYPING
            and data["who"] == "agent"
            and event["conversation_id"] == current
        ):
            await self.send_json(
                {"type": "typing", "name": data["name"], "is_typing": data["is_typing"]}
            )
        elif (
            name == events.CHAT_READ
            and data["who"] == "agent"
            and event["conversation_id"] == current
        ):
            await self.send_json({"type": "read", "sequence": data["sequence"]})

    async def entry_received(self, data: dict[str, Any]) -> None:
        """A message as written (chat.entry): sent on as is, unless this socket has not
        passed everything before it, which then comes from the database with it."""
        entry: EntryDict = data["entry"]
        if entry["sequence"] <= self.last_sent:
            return
        if self.last_sent < data["after"]:
            await self.entries_send()
            return
        if entry["kind"] == "message":  # visitors never see notes
            await self.send_json({"type": "entry", "entry": entry})
        self.last_sent = entry["sequence"]

    async def state_received(self, state: dict[str, Any]) -> None:
        if self.chat is None or state["conversation"] != self.chat.pk:
            # A chat this visitor started elsewhere (another tab, or over HTTP).
            chat = await db(chat_get)(state["conversation"])
            if chat is None or self.session is None or chat.visitor_id != self.session.pk:
                return
            await self.chat_follow(chat, 0)
            return
        # The same state may come through the visitor's and the conversation's group.
        if state != self.last_state:
            self.last_state = state
            await self.send_json({"type": "state", "chat": state})


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


class ChatAgentConsumer(JsonFrames):
    """The chat console's socket: several chats at once, the queue, the agent's seats."""

    agent: User
    watching: dict[int, Chat]
    last_sent: dict[int, int]

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()  # then close with a reason the page can read (see AgentConsumer)
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.agent, self.watching, self.last_sent = user, {}, {}
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
        conversation_id = _count(content.get("conversation"))
        if conversation_id is None:
            raise ChatError("invalid")
        chat: Chat = await db(access_chat_for_agent)(
            agent=self.agent, conversation_id=conversation_id
        )
        return chat

    async def watch(self, conversation_id: int, after: int) -> None:
        chat = await db(access_chat_for_agent)(
            agent=self.agent, conversation_id=conversation_id
        )
        await self.join(conversation_group(chat.pk))
        self.watching[chat.pk] = chat
        self.last_sent[chat.pk] = max(after, self.last_sent.get(chat.pk, 0))

    async def on_join(self, content: Mapping[str, Any]) -> None:
        chat, after = await self.chat_for(content), _count(content.get("after"))
        if after is None:
            raise ChatError("invalid")
        await self.watch(chat.pk, after)
        # Asked for explicitly: everything after `after`, even entries already sent live.
        await self.entries_send(chat.pk, after)
        state = await db(chat_state)(chat=chat)
        await self.send_json({"type": "state", "conversation": chat.pk, "chat": state})

    async def on_leave(self, content: Mapping[str, Any]) -> None:
        conversation_id = _count(content.get("conversation"))
        if conversation_id in self.watching:
            await self.leave(conversation_group(conversation_id))
            self.watching.pop(conversation_id)

    async def entries_send(self, conversation_id: int, after: int) -> None:
        chat = self.watching[conversation_id]
        entries: list[EntryDict] = await db(chat_entries_for_agent)(
            chat=chat, after=after
        )
        for entry in entries:
            await self.send_json({"type": "entry", "conversation": conversation_id, "entry": entry})
            self.last_sent[conversation_id] = max(
                self.last_sent[conversation_id], entry["sequence"]
            )

    async def entry_received(self, conversation_id: int, data: dict[str, Any]) -> None:
        """chat.entry: sent on as is when this socket has passed everything before it."""
        entry: EntryDict = data["entry"]
        last_sent = self.last_sent[conversation_id]
        if entry["sequence"] <= last_sent:
            return
        if last_sent < data["after"]:
            await self.entries_send(conversation_id, last_sent)
            return
        await self.send_json({"type": "entry", "conversation": conversation_id, "entry": entry})
        self.last_sent[conversation_id] = entry["sequence"]

    async def on_send(self, content: Mapping[str, Any]) -> None:
        chat = await self.chat_for(content)
        result = await db(chat_message_send_agent)(
            chat=chat,
            agent=self.agent,
            text=_text(content.get("text")),
            client_id=_text(content.get("client_id")),
            is_note=content.get("note") is True,
        )
        await self.send_json(
            {
                "type": "ack",
                "conversation": chat.pk,
                "client_id": content.get("client_id"),
                "sequence": result.message.sequence,
            }
        )

    async def on_typing(self, content: Mapping[str, Any]) -> None:
        conversation_id = _count(content.get("conversation"))
        if conversation_id not in self.watching:
            raise ChatError("not_watching")
        await typing_publish(
            conversation_id=conversation_id,
            who="agent",
            name=self.agent.name,
            is_typing=content.get("is_typing") is True,
        )

    async def on_read(self, content: Mapping[str, Any]) -> None:
        chat, sequence = await self.chat_for(content), _count(content.get("sequence"))
        if sequence is None:
            raise ChatError("invalid")
        await db(chat_read_mark)(chat=chat, reader="agent", sequence=sequence)

    async def on_end(self, content: Mapping[str, Any]) -> None:
        chat = await self.chat_for(content)
        await db(chat_end)(chat=chat, actor=self.agent)

    async def on_transfer(self, content: Mapping[str, Any]) -> None:
        chat = await self.chat_for(content)
        await db(_transfer)(
            self.agent, chat, _count(content.get("agent")), _count(content.get("team"))
        )

    async def on_status(self, content: Mapping[str, Any]) -> None:
        status = content.get("status")
        if status not in ("online", "away", "offline"):
            raise ChatError("invalid")
        await db(agent_availability_set)(agent=self.agent, status=status)

    async def realtime_event(self, message: Mapping[str, Any]) -> None:
        event: dict[str, Any] = message["event"]
        name, data, conversation_id = event["name"], event["data"], event["conversation_id"]
        watched = conversation_id in self.watching
        if name == events.CHAT_ENTRY and watched:
            await self.entry_received(conversation_id, data)
        elif name == TIMELINE_APPENDED and watched:
            if event["sequence"] > self.last_sent[conversation_id]:
                await self.entries_send(conversation_id, self.last_sent[conversation_id])
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
            await self.send_json({"type": "state", "conversation": conversation_id, "chat": data})
        elif (
            name in (events.CHAT_TYPING, events.CHAT_READ) and watched and data["who"] == "visitor"
        ):
            frame = {k: v for k, v in data.items() if k != "who"}
            await self.send_json(
                {"type": name.removeprefix("chat."), "conversation": conversation_id, **frame}
            )
