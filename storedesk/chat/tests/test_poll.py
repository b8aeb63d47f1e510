"""The long-poll fallback, on the in-memory layer and Redis (transactional: real commits)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
import redis.asyncio
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from pytest_django.fixtures import Settings

from storedesk.accounts.models import Team, User
from storedesk.asgi import application
from storedesk.chat.models import Chat, ChatWidget
from storedesk.chat.services import chat_message_send_agent, chat_start, visitor_token
from storedesk.chat.tests.factories import SHOP_ORIGIN, create_online_agent, create_visitor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


@pytest.fixture
def agent(team: Team) -> User:
    return create_online_agent(team, username="anna")


@pytest.fixture
def chat(widget: ChatWidget, agent: User) -> Chat:
    return chat_start(session=create_visitor(widget), text="Hello", client_id="first")


def _reply(chat: Chat, agent: User, text: str) -> int:
    fresh = Chat.objects.select_related("conversation", "widget").get(pk=chat.pk)
    return chat_message_send_agent(
        chat=fresh, agent=agent, text=text, client_id=text
    ).message.sequence


def _poll_args(chat: Chat, after: int) -> tuple[str, dict[str, int], dict[str, str]]:
    headers = {"Origin": SHOP_ORIGIN, "X-Chat-Token": visitor_token(chat.visitor)}
    return f"/chat/api/{chat.widget.key}/poll", {"after": after}, headers


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]


async def get(path: str, params: dict[str, int], headers: dict[str, str]) -> Response:
    """One request through the real ASGI application (the route Channels serves first)."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": urlencode(params).encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    # Any: asgiref's communicator is untyped.
    io: Any = ApplicationCommunicator(application, scope)  # type: ignore[no-untyped-call]
    await io.send_input({"type": "http.request", "body": b""})
    start = await io.receive_output(30)
    body = await io.receive_output(30)
    headers_out = {k.decode(): v.decode() for k, v in start["headers"]}
    return Response(start["status"], headers_out, body["body"])


def test_held_poll_returns_as_soon_as_a_reply_commits(chat: Chat, agent: User) -> None:
    url, params, headers = _poll_args(chat, chat.conversation.last_sequence)

    async def scenario() -> None:
        held = asyncio.ensure_future(get(url, params, headers=headers))
        await asyncio.sleep(0.5)
        assert not held.done()
        started = time.monotonic()
        sequence = await database_sync_to_async(_reply)(chat, agent, "Here")
        response = await asyncio.wait_for(held, timeout=3)
        assert time.monotonic() - started < 3
        body = response.json()
        assert [(e["sequence"], e["text"]) for e in body["entries"]] == [(sequence, "Here")]
        assert body["chat"]["state"] == "active"
        assert response["Access-Control-Allow-Origin"] == SHOP_ORIGIN

    async_to_sync(scenario)()


def test_poll_answers_at_once_when_entries_are_already_there(chat: Chat, agent: User) -> None:
    seen = chat.conversation.last_sequence
    sequences = [_reply(chat, agent, f"r{n}") for n in range(2)]
    url, params, headers = _poll_args(chat, seen)

    async def scenario() -> None:
        response = await asyncio.wait_for(get(url, params, headers=headers), 2)
        assert [e["sequence"] for e in response.json()["entries"]] == sequences

    async_to_sync(scenario)()


def test_poll_times_out_empty(chat: Chat, settings: Settings) -> None:
    settings.CHAT_LONG_POLL_SECONDS = 0.3
    url, params, headers = _poll_args(chat, chat.conversation.last_sequence)

    async def scenario() -> None:
        response = await asyncio.wait_for(get(url, params, headers=headers), 3)
        assert response.status_code == 200
        assert response.json()["entries"] == []

    async_to_sync(scenario)()


def test_poll_refuses_forged_tokens_and_foreign_origins(chat: Chat) -> None:
    url, params, headers = _poll_args(chat, 0)

    async def scenario() -> None:
        forged = {**headers, "X-Chat-Token": headers["X-Chat-Token"][:-2] + "zz"}
        assert (await get(url, params, headers=forged)).status_code == 401
        foreign = {**headers, "Origin": "https://evil.example"}
        assert (await get(url, params, headers=foreign)).status_code == 403

    async_to_sync(scenario)()


def test_an_answered_poll_lets_go_of_its_subscriptions(
    chat: Chat, agent: User, channel_layer: str
) -> None:
    """The Pub/Sub layer keeps a channel subscribed until a receive on it is cancelled: a
    poll that heard news must not leave its channel (or its groups) behind in the process."""
    if channel_layer != "redis":
        pytest.skip("subscriptions belong to the Redis layer")
    config: Any = django_settings.CHANNEL_LAYERS["default"]["CONFIG"]
    url, params, headers = _poll_args(chat, chat.conversation.last_sequence)

    async def subscribed() -> list[bytes | str]:
        client = redis.asyncio.Redis.from_url(config["hosts"][0])
        try:
            return await client.pubsub_channels(f"{config['prefix']}*")
        finally:
            await client.aclose()

    async def scenario() -> None:
        held = asyncio.ensure_future(get(url, params, headers=headers))
        await asyncio.sleep(0.5)
        assert await subscribed()  # the poll's channel and groups
        await database_sync_to_async(_reply)(chat, agent, "Here")
        assert (await asyncio.wait_for(held, timeout=3)).json()["entries"]
        for _ in range(50):  # unsubscribing is sent, not waited for
            if not await subscribed():
                break
            await asyncio.sleep(0.1)
        assert await subscribed() == []

    async_to_sync(scenario)()
