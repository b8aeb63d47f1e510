"""The long-poll fallback: a held request that returns as soon as there is news after N.

A Channels HTTP consumer, routed before Django (storedesk/websocket_urls.py): a held
request costs a coroutine, never a thread, and Django's sync middleware (which would park
a thread for the whole wait) is not in its way. It listens on the channel layer (the
same groups the visitor's socket joins) and reads the database when it starts and when
something arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.http import AsyncHttpConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from storedesk.chat import events
from storedesk.chat.access import access_visitor_session
from storedesk.chat.consumers import scope_header, scope_own_origin
from storedesk.chat.models import VisitorSession
from storedesk.chat.selectors import chat_entries_for_visitor, chat_open_for_visitor, chat_state
from storedesk.chat.views.api import PREFLIGHT_MAX_AGE_SECONDS, TOKEN_HEADER, widget_for
from storedesk.core.realtime import conversation_group


def _session_for(key: str, token: str, origin: str, own_origin: str) -> VisitorSession | str:
    widget = widget_for(key)
    if widget is None:
        return "not_found"
    if origin and not widget.allows_origin(origin, own_origin=own_origin):
        return "origin"
    return access_visitor_session(widget=widget, token=token) or "unauthenticated"


def _news(session: VisitorSession, after: int) -> dict[str, Any]:
    chat = chat_open_for_visitor(session)
    return {
        "entries": chat_entries_for_visitor(chat=chat, after=after) if chat else [],
        "chat": chat_state(chat=chat) if chat else None,
        "events": [],
    }


def _visitor_frame(event: dict[str, Any]) -> dict[str, Any] | None:
    """Typing and read receipts of the agent, as the socket would send them."""
    data = event["data"]
    if event["name"] == events.CHAT_TYPING and data["who"] == "agent":
        return {"type": "typing", "name": data["name"], "is_typing": data["is_typing"]}
    if event["name"] == events.CHAT_READ and data["who"] == "agent":
        return {"type": "read", "sequence": data["sequence"]}
    return None


async def _listen(layer: Any, channel: str, heard: asyncio.Queue[dict[str, Any]]) -> None:
    """Everything that arrives on `channel`, into `heard`. A receive is always pending, so
    cancelling this task lets go of the channel: the Pub/Sub layer keeps a new_channel()'s
    subscription and queue until a receive on it is cancelled."""
    while True:
        heard.put_nowait(await layer.receive(channel))


async def wait_for_news(session: VisitorSession, after: int) -> dict[str, Any]:
    layer = get_channel_layer()
    chat = await database_sync_to_async(chat_open_for_visitor)(session)
    news: dict[str, Any]
    if layer is None:
        news = await database_sync_to_async(_news)(session, after)
        return news
    channel = await layer.new_channel()
    heard: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    listening = asyncio.ensure_future(_listen(layer, channel, heard))
    groups = [events.visitor_group(session.pk)] + ([conversation_group(chat.pk)] if chat else [])
    try:
        for group in groups:
            await layer.group_add(group, channel)
        # Listening before reading: whatever commits in between is read or heard.
        news = await database_sync_to_async(_news)(session, after)
        if news["entries"]:
            return news
        try:
            message = await asyncio.wait_for(heard.get(), timeout=settings.CHAT_LONG_POLL_SECONDS)
        except TimeoutError:
            return news
        news = await database_sync_to_async(_news)(session, after)
        frames = (_visitor_frame(event) for event in message["events"])
        news["events"] = [frame for frame in frames if frame]
        return news
    finally:
        for group in groups:
            await layer.group_discard(group, channel)
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening


class PollConsumer(AsyncHttpConsumer):  # type: ignore[misc]  # channels is untyped
    """GET /chat/api/<key>/poll?after=N with the X-Chat-Token header (CORS as the API)."""

    def header(self, name: str) -> str:
        return scope_header(self.scope, name.lower().encode())

    async def respond(self, status: int, data: dict[str, Any] | None, origin: str) -> None:
        headers = [(b"content-type", b"application/json"), (b"vary", b"Origin")]
        if origin and status != 403:
            headers += [
                (b"access-control-allow-origin", origin.encode()),
                (b"access-control-allow-headers", f"Content-Type, {TOKEN_HEADER}".encode()),
                (b"access-control-allow-methods", b"GET, OPTIONS"),
                (b"access-control-max-age", str(PREFLIGHT_MAX_AGE_SECONDS).encode()),
            ]
        body = json.dumps(data).encode() if data is not None else b""
        await self.send_response(status, body, headers=headers)

    async def handle(self, body: bytes) -> None:
        origin = self.header("Origin")
        key = self.scope["url_route"]["kwargs"]["key"]
        found = await database_sync_to_async(_session_for)(
            key, self.header(TOKEN_HEADER), origin, scope_own_origin(self.scope)
        )
        if found in ("not_found", "origin"):
            await self.respond(404 if found == "not_found" else 403, {"error": found}, origin)
            return
        if self.scope["method"] == "OPTIONS":
            await self.respond(204, None, origin)
            return
        if isinstance(found, str):
            await self.respond(401, {"error": found}, origin)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            after = max(int(query.get("after", ["0"])[0]), 0)
        except ValueError:
            await self.respond(400, {"error": "invalid"}, origin)
            return
        await self.respond(200, await wait_for_news(found, after), origin)
