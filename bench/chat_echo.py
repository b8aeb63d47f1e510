"""The baseline of bench/chat.py: a bare ASGI websocket echo, served by the same uvicorn.

    uvicorn chat_echo:application --app-dir bench

No Django, no Channels, no channel layer: what the server software alone costs per message,
so the chat's figures can be read against it. `/healthz` answers 200 so that
`harness.running_server` can wait for it like for the desk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await _echo(receive, send)
    elif scope["type"] == "http":
        status = 200 if scope["path"] == "/healthz" else 404
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok" if status == 200 else b""})


async def _echo(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": message.get("text"),
                        "bytes": message.get("bytes")})
        elif message["type"] == "websocket.disconnect":
            return
