"""The agent's socket queues a line's write and reads its next frame at once; the lines still
commit in the order they were sent, each is answered after its commit, and a socket that
closes meanwhile loses none of them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from django.db import connection, transaction

from storedesk.accounts.models import User
from storedesk.asgi import application
from storedesk.chat.consumers.base import db
from storedesk.chat.models import Chat
from storedesk.chat.tests.test_consumers import TIMEOUT, _agent_headers, frames_until
from storedesk.conversations.models import Conversation, Message
from storedesk.core.tests.websockets import WebsocketCommunicator, run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


@asynccontextmanager
async def writes_held(chat: Chat) -> AsyncIterator[threading.Event]:
    """The chat's writes wait until the yielded event is set (or TIMEOUT passes). SQLite: the
    sockets' one database thread is kept busy (the test database allows no second writer to
    wait for a lock). PostgreSQL: another connection holds the conversation's row lock."""
    holding, release = threading.Event(), threading.Event()

    def occupy() -> None:
        holding.set()
        release.wait(TIMEOUT)

    def lock_row() -> None:
        try:
            with transaction.atomic():
                Conversation.objects.select_for_update().get(pk=chat.pk)
                occupy()
        finally:
            connection.close()

    if connection.vendor == "sqlite":
        held = asyncio.ensure_future(db(occupy)())
    else:
        held = asyncio.ensure_future(asyncio.to_thread(lock_row))
    try:
        assert await asyncio.to_thread(holding.wait, TIMEOUT)
        yield release
    finally:
        release.set()
        await held


async def console_connect(headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    console = WebsocketCommunicator(application, "/ws/chat/agent/", headers)
    assert (await console.connect(timeout=TIMEOUT))[0]
    assert (await console.receive_json_from(timeout=TIMEOUT))["type"] == "hello"
    return console


def send_frame(chat: Chat, client_id: str, text: str) -> dict[str, object]:
    return {"type": "send", "conversation": chat.pk, "client_id": client_id, "text": text}


def test_next_frame_is_read_while_lines_wait_and_answers_follow_in_order(
    chat: Chat, agent: User
) -> None:
    headers = _agent_headers(agent)

    async def scenario() -> None:
        console = await console_connect(headers)
        async with writes_held(chat) as release:
            await console.send_json_to(send_frame(chat, "a-1", "First"))
            await console.send_json_to(send_frame(chat, "a-2", "Second"))
            await console.send_json_to(send_frame(chat, "a-3", "   "))  # empty: refused
            await console.send_json_to({"type": "bogus"})
            # Answered while the three lines still wait for the database.
            refused = await console.receive_json_from(timeout=TIMEOUT)
            assert refused == {"type": "error", "code": "invalid", "request": "bogus"}
            release.set()
            frames = await frames_until(
                console, lambda got: len([f for f in got if f["type"] in ("ack", "error")]) >= 3
            )
        answers = [f for f in frames if f["type"] in ("ack", "error")]
        assert [(f["type"], f["client_id"]) for f in answers] == [
            ("ack", "a-1"),
            ("ack", "a-2"),
            ("error", "a-3"),
        ]
        assert answers[2]["code"] == "empty"
        assert answers[0]["sequence"] < answers[1]["sequence"]
        await console.disconnect()

    run(scenario)

    stored = Message.objects.filter(conversation_id=chat.pk, client_id__startswith="a:")
    assert list(stored.order_by("sequence").values_list("text", flat=True)) == ["First", "Second"]


def test_lines_a_closed_socket_left_waiting_are_still_written(chat: Chat, agent: User) -> None:
    headers = _agent_headers(agent)

    async def scenario() -> None:
        console = await console_connect(headers)
        async with writes_held(chat):
            await console.send_json_to(send_frame(chat, "a-1", "First"))
            await console.send_json_to(send_frame(chat, "a-2", "Second"))
            await console.send_json_to({"type": "bogus"})  # both sends were read
            assert (await console.receive_json_from(timeout=TIMEOUT))["code"] == "invalid"
            await console.disconnect()
        # Released: the writes the socket queued run without anyone waiting for them.
        for _ in range(int(TIMEOUT / 0.05)):
            if await _stored_texts(chat) == ["First", "Second"]:
                break
            await asyncio.sleep(0.05)
        assert await _stored_texts(chat) == ["First", "Second"]

    run(scenario)


async def _stored_texts(chat: Chat) -> list[str]:
    def texts() -> list[str]:
        stored = Message.objects.filter(conversation_id=chat.pk, client_id__startswith="a:")
        return [text for text in stored.order_by("sequence").values_list("text", flat=True)]

    return await db(texts)()
