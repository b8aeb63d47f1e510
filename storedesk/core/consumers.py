"""The base of every JSON websocket in Storedesk."""

from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class TolerantJsonConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """A frame that is not JSON reaches receive_json as None, so the consumer answers it
    with an error frame instead of the socket dying on a decode error."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            content = json.loads(text_data or "")
        except ValueError:
            content = None
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        raise NotImplementedError
