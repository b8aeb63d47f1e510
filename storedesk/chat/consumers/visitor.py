"""The widget's socket (`/ws/chat/visitor/`): one visitor, at most one chat at a time."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from storedesk.chat import events
from storedesk.chat.access import access_visitor_session
from storedesk.chat.consumers.base import (
    CLOSE_FORBIDDEN_ORIGIN,
    CLOSE_UNAUTHENTICATED,
    Handler,
    JsonFrames,
    count_of,
    db,
    db_write,
    scope_header,
    scope_own_origin,
    text_of,
)
from storedesk.chat.errors import ChatError
from storedesk.chat.models import Chat, ChatWidget, VisitorSession
from storedesk.chat.realtime import typing_publish
from storedesk.chat.selectors import (
    ChatStateDict,
    EntryDict,
    chat_entries_for_visitor,
    chat_get,
    chat_open_for_visitor,
    chat_state,
)
from storedesk.chat.services import (
    PageView,
    SendResult,
    chat_end,
    chat_message_send_visitor,
    chat_read_mark,
    chat_start,
    visitor_page_record,
    visitor_rate_limit,
)
from storedesk.conversations.models import Conversation
from storedesk.core.realtime import conversation_group
from storedesk.core.realtime_events import TIMELINE_APPENDED

# A typing signal is forwarded when it changes, or again after this many seconds.
TYPING_REPEAT_SECONDS = 3.0


@dataclass(frozen=True)
class _Hello:
    """What a hello finds: a close code, or the visitor's session and open chat."""

    close_code: int | None
    session: VisitorSession | None = None
    chat: Chat | None = None


def _visitor_hello(widget_key: str, token: str, origin: str, own_origin: str) -> _Hello:
    # One database call per hello: 5,000 widgets reconnecting at once is the peak to serve.
    widget = ChatWidget.objects.select_related("inbox").filter(key=widget_key).first()
    if widget is None or not widget.allows_origin(origin, own_origin=own_origin):
        return _Hello(CLOSE_FORBIDDEN_ORIGIN)
    session = access_visitor_session(widget=widget, token=token) if widget.inbox.is_active else None
    if session is None:
        return _Hello(CLOSE_UNAUTHENTICATED)
    return _Hello(None, session, chat_open_for_visitor(session))


def _chat_catch_up(chat: Chat, after: int) -> tuple[ChatStateDict, list[EntryDict]]:
    return chat_state(chat=chat), chat_entries_for_visitor(chat=chat, after=after)


def _entries_after(chat: Chat, after: int) -> tuple[list[EntryDict], int]:
    """The visitor's entries after `after`, and the conversation's last sequence read just
    before them (so the entries read cover everything up to it)."""
    last_sequence = Conversation.objects.values_list("last_sequence", flat=True).get(pk=chat.pk)
    return chat_entries_for_visitor(chat=chat, after=after), last_sequence


def _visitor_send(
    *, session_key: str, ip: str, chat: Chat, text: str, client_id: str
) -> SendResult:
    visitor_rate_limit(session_key=session_key, ip=ip)
    return chat_message_send_visitor(chat=chat, text=text, client_id=client_id)


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

    @property
    def client_ip(self) -> str:
        client = self.scope.get("client") or ("", 0)
        return str(client[0])

    async def on_hello(self, content: Mapping[str, Any]) -> None:
        hello = await db(_visitor_hello)(
            text_of(content.get("widget")),
            text_of(content.get("token")),
            scope_header(self.scope, b"origin"),
            scope_own_origin(self.scope),
        )
        if hello.close_code is not None or hello.session is None:
            await self.close(code=hello.close_code or CLOSE_UNAUTHENTICATED)
            return
        self.session = hello.session
        await self.join(events.visitor_group(self.session.pk))
        await self.chat_follow(hello.chat, count_of(content.get("after")) or 0)

    async def chat_follow(self, chat: Chat | None, after: int) -> None:
        """Join the chat's group, then send its state and every entry after `after`.

        Joined before reading: an entry committed in between is both read here and
        announced, and `last_sent` lets it through once.
        """
        self.chat, self.last_sent = chat, after
        if chat is None:
            self.last_state = None
            await self.send_json({"type": "ready", "chat": None})
            return
        await self.join(conversation_group(chat.pk))
        state, entries = await db(_chat_catch_up)(chat, after)
        self.last_state = dict(state)
        await self.send_json({"type": "ready", "chat": state})
        await self.entries_forward(entries, passed=state["last_sequence"])

    async def entries_send(self) -> None:
        if self.chat is None:
            return
        entries, passed = await db(_entries_after)(self.chat, self.last_sent)
        await self.entries_forward(entries, passed=passed)

    async def entries_forward(self, entries: list[EntryDict], *, passed: int) -> None:
        for entry in entries:
            if entry["sequence"] > self.last_sent:
                await self.send_json({"type": "entry", "entry": entry})
                self.last_sent = entry["sequence"]
        # Notes and events are not the visitor's: passing them here keeps the next
        # announcement from reading the database again for entries that were never theirs.
        # `passed` was committed before the entries were read (sequences of a conversation
        # commit in order), so nothing up to it can still come.
        self.last_sent = max(self.last_sent, passed)

    async def on_start(self, content: Mapping[str, Any]) -> None:
        assert self.session is not None
        await db(visitor_rate_limit)(session_key=self.session.key, ip=self.client_ip)
        chat = await db(chat_start)(
            session=self.session,
            text=text_of(content.get("text")),
            client_id=text_of(content.get("client_id")),
            name=text_of(content.get("name")),
            email=text_of(content.get("email")),
        )
        if self.chat is None or self.chat.pk != chat.pk:
            await self.chat_follow(chat, 0)
        await self.send_json(
            {"type": "ack", "client_id": content.get("client_id"), "conversation": chat.pk}
        )

    async def on_send(self, content: Mapping[str, Any]) -> None:
        if self.chat is None or self.session is None:
            raise ChatError("no_chat")
        result = await db_write(
            _visitor_send,
            session_key=self.session.key,
            ip=self.client_ip,
            chat=self.chat,
            text=text_of(content.get("text")),
            client_id=text_of(content.get("client_id")),
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
        sequence = count_of(content.get("sequence"))
        if self.chat is None or sequence is None:
            raise ChatError("invalid")
        await db(chat_read_mark)(chat=self.chat, reader="visitor", sequence=sequence)

    async def on_page(self, content: Mapping[str, Any]) -> None:
        assert self.session is not None
        page = PageView(url=text_of(content.get("url")), title=text_of(content.get("title")))
        self.session = await db(visitor_page_record)(session=self.session, page=page)

    async def on_end(self, content: Mapping[str, Any]) -> None:
        if self.chat is not None:
            await db(chat_end)(chat=self.chat, actor=None)

    async def event_received(self, event: dict[str, Any]) -> None:
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
        # The socket keeps its chat loaded; the state its sends check follows the events.
        self.chat.state = state["state"]
        # The same state may come through the visitor's and the conversation's group.
        if state != self.last_state:
            self.last_state = state
            await self.send_json({"type": "state", "chat": state})
