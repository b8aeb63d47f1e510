"""An in-process websocket client for consumer tests, shared by the apps that have sockets."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

# Long enough for a Redis round trip on a busy CI machine.
DISCONNECT_TIMEOUT = 3


class WebsocketCommunicator:
    """The part of channels.testing.WebsocketCommunicator these tests use.

    Importing channels.testing requires daphne (for its live-server test case), a server we
    do not otherwise install.
    """

    def __init__(self, app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        scope = {"type": "websocket", "path": path, "query_string": b"", "headers": headers}
        # Any: asgiref's communicator is untyped.
        self.io: Any = ApplicationCommunicator(app, {**scope, "subprotocols": []})  # type: ignore[no-untyped-call]

    async def connect(self, timeout: float) -> tuple[bool, int | None]:
        await self.io.send_input({"type": "websocket.connect"})
        response = await self.io.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        return True, None

    async def send_to(self, *, text_data: str) -> None:
        await self.io.send_input({"type": "websocket.receive", "text": text_data})

    async def send_json_to(self, data: object) -> None:
        await self.send_to(text_data=json.dumps(data))

    async def receive_output(self, timeout: float) -> Any:
        """The next ASGI message; a timeout here cancels the application."""
        return await self.io.receive_output(timeout)

    async def receive_json_from(self, timeout: float) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def receive_nothing(self, timeout: float) -> bool:
        return bool(await self.io.receive_nothing(timeout))

    async def disconnect(self) -> None:
        await self.io.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.io.wait(DISCONNECT_TIMEOUT)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    """Run an async scenario; database work inside it goes through database_sync_to_async."""
    async_to_sync(scenario)()
