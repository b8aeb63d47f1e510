"""The base of every JSON websocket in Storedesk."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer


class TolerantJsonConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """A frame that is not JSON reaches receive_json as None, so the consumer answers it
    with an error frame instead of the socket dying on a decode error. Live events arrive
    at event_received, one at a time, however many one channel layer message carried."""

    async def dispatch(self, message: Mapping[str, Any]) -> None:
        """Channels' dispatch without its close_old_connections before every message.

        Channels runs that on the database thread before each frame and each channel layer
        message, so every live event a socket forwarded first waited behind the queue of
        database work (on SQLite, every chat write), and it closed the connection the chat
        sockets keep on that thread (chat/consumers/base.py). These consumers reach the
        database only through database_sync_to_async, which closes old connections around
        each call, or chat.consumers.base.db, which looks after its own.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            content = json.loads(text_data or "")
        except ValueError:
            content = None
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    async def realtime_events(self, message: Mapping[str, Any]) -> None:
        """Events published together (core.realtime.layer_message), one by one in order."""
        for event in message["events"]:
            await self.event_received(event)

    async def event_received(self, event: dict[str, Any]) -> None:
        raise NotImplementedError
