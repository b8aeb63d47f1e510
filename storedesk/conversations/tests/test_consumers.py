"""The agent websocket, through the real ASGI application (origin check, session auth).

Every test runs on the in-memory layer and on Redis. Transactional tests, so that services
commit and their on_commit publishing really happens.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.test import Client
from pytest_django.fixtures import Settings

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_agent, create_team
from storedesk.asgi import application
from storedesk.conversations.models import Conversation
from storedesk.conversations.services.messages import MessageContent, message_reply, note_add
from storedesk.conversations.tests.factories import create_conversation
from storedesk.core.realtime import inbox_agents_group
from storedesk.core.tests.websockets import WebsocketCommunicator, run
from storedesk.customers.models import Customer
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_TEST_URL = "redis://127.0.0.1:6379/14"
# Long enough for a Redis round trip on a busy CI machine.
TIMEOUT = 3
# Silence for this long means the server has nothing more to send.
QUIET = 0.5


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(autouse=True, params=["memory", "redis"])
def channel_layer(request: pytest.FixtureRequest, settings: Settings) -> str:
    if request.param == "memory":
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
        return "memory"
    if not _redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required in CI at {REDIS_TEST_URL}")
        pytest.skip(f"no Redis at {REDIS_TEST_URL}")
    # A fresh prefix per test: nothing left over from another test or a parallel run.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_TEST_URL], "prefix": f"test-{uuid.uuid4().hex}"},
        }
    }
    return "redis"


@pytest.fixture
def colleague(email_inbox: Inbox) -> User:
    """A second agent in the team of `email_inbox`."""
    user = create_agent(username="bo", display_name="Bo Ek")
    assert email_inbox.team is not None
    email_inbox.team.members.add(user)
    return user


@pytest.fixture
def outsider(db: None) -> User:
    """An agent of another team, with an inbox and a conversation of their own."""
    user = create_agent(username="carl", display_name="Carl Ros")
    create_team(name="Other team", members=[user])
    return user


@pytest.fixture
def conversation(email_inbox: Inbox, customer: Customer) -> Conversation:
    return create_conversation(inbox=email_inbox, customer=customer)


def _headers(user: User | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        client = Client()
        client.force_login(user)
        name = django_settings.SESSION_COOKIE_NAME
        cookie = f"{name}={client.cookies[name].value}"
        headers.append((b"cookie", cookie.encode()))
    return headers


async def connect(headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def watch(communicator: WebsocketCommunicator, conversation_id: int, after: int) -> Any:
    await communicator.send_json_to(
        {"type": "watch", "conversation": conversation_id, "after": after}
    )
    return await communicator.receive_json_from(timeout=TIMEOUT)


async def frames_until_quiet(communicator: WebsocketCommunicator) -> list[Any]:
    """The first frame (waited for as long as a slow machine needs), then all that follow
    until the socket is quiet."""
    frames = [await communicator.receive_json_from(timeout=TIMEOUT)]
    # receive_nothing, not a receive timeout: a timed-out receive cancels the application.
    while not await communicator.receive_nothing(timeout=QUIET):
        frames.append(await communicator.receive_json_from(timeout=TIMEOUT))
    return frames


def _timeline_frame(conversation_id: int, sequence: int) -> dict[str, Any]:
    return {
        "type": "event",
        "name": "timeline.appended",
        "conversation_id": conversation_id,
        "sequence": sequence,
        "data": {},
    }


def _presence_frame(conversation_id: int, agent: User, state: str, *, is_answer: bool) -> Any:
    return {
        "type": "event",
        "name": "presence.changed",
        "conversation_id": conversation_id,
        "sequence": None,
        "data": {"agent_id": agent.pk, "name": agent.name, "state": state, "is_answer": is_answer},
    }


def test_anonymous_is_closed_with_4401() -> None:
    async def scenario() -> None:
        communicator = WebsocketCommunicator(application, "/ws/agent/", headers=_headers(None))
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected  # accepted only so the browser sees why it is closed
        assert await communicator.receive_output(TIMEOUT) == {
            "type": "websocket.close",
            "code": 4401,
        }
        await communicator.disconnect()

    run(scenario)


def test_foreign_origin_is_refused(agent: User) -> None:
    headers = [(b"origin", b"https://evil.example"), *_headers(agent)[1:]]

    async def scenario() -> None:
        communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert not connected

    run(scenario)


def test_watch_sends_exactly_the_missed_sequences(
    agent: User, colleague: User, conversation: Conversation
) -> None:
    seen = conversation.last_sequence
    note_add(conversation=conversation, author=colleague, content=MessageContent(text="VIP"))
    message_reply(conversation=conversation, author=colleague, content=MessageContent(text="Hi"))
    conversation.refresh_from_db()
    missed = list(range(seen + 1, conversation.last_sequence + 1))
    assert len(missed) >= 2

    headers = _headers(agent)

    async def scenario() -> None:
        communicator = await connect(headers)
        assert await watch(communicator, conversation.pk, seen) == {
            "type": "catchup",
            "conversation": conversation.pk,
            "sequences": missed,
        }
        assert await watch(communicator, conversation.pk, conversation.last_sequence) == {
            "type": "catchup",
            "conversation": conversation.pk,
            "sequences": [],
        }
        await communicator.disconnect()

    run(scenario)


def test_reply_reaches_the_watching_agent_after_commit_once(
    agent: User, colleague: User, conversation: Conversation
) -> None:
    before = conversation.last_sequence

    headers = _headers(agent)

    async def scenario() -> None:
        communicator = await connect(headers)
        await watch(communicator, conversation.pk, before)
        reply = await database_sync_to_async(message_reply)(
            conversation=conversation, author=colleague, content=MessageContent(text="Shipped")
        )
        frames = await frames_until_quiet(communicator)
        await communicator.disconnect()

        await database_sync_to_async(conversation.refresh_from_db)()
        appended = [frame for frame in frames if frame["name"] == "timeline.appended"]
        # Once each, although the agent is in both the conversation and the inbox group.
        assert appended == [
            _timeline_frame(conversation.pk, sequence)
            for sequence in range(before + 1, conversation.last_sequence + 1)
        ]
        assert appended[0]["sequence"] == reply.sequence
        updated = [frame for frame in frames if frame["name"] == "conversation.updated"]
        assert updated
        assert all(frame["conversation_id"] == conversation.pk for frame in updated)

    run(scenario)


def test_an_agent_socket_is_accepted_once_it_has_joined_its_inboxes(
    agent: User, conversation: Conversation, channel_layer: str
) -> None:
    """Otherwise an event published just after the page heard the accept was lost."""
    if channel_layer != "memory":
        pytest.skip("reads the in-memory layer's groups")
    headers = _headers(agent)

    async def scenario() -> None:
        communicator = await connect(headers)
        layer: Any = get_channel_layer()
        assert layer.groups.get(inbox_agents_group(conversation.inbox_id))
        await communicator.disconnect()

    run(scenario)


def test_inbox_agents_get_events_without_watching(
    agent: User, colleague: User, conversation: Conversation
) -> None:
    headers = _headers(agent)

    async def scenario() -> None:
        communicator = await connect(headers)
        await database_sync_to_async(note_add)(
            conversation=conversation, author=colleague, content=MessageContent(text="Call her")
        )
        frames = await frames_until_quiet(communicator)
        await communicator.disconnect()
        await database_sync_to_async(conversation.refresh_from_db)()
        assert frames == [_timeline_frame(conversation.pk, conversation.last_sequence)]

    run(scenario)


def test_agent_of_another_team_cannot_watch_and_gets_nothing(
    agent: User, outsider: User, conversation: Conversation
) -> None:
    insider_headers, stranger_headers = _headers(agent), _headers(outsider)

    async def scenario() -> None:
        insider = await connect(insider_headers)
        stranger = await connect(stranger_headers)
        assert await watch(stranger, conversation.pk, 0) == {
            "type": "error",
            "code": "forbidden",
            "request": "watch",
        }
        await stranger.send_json_to(
            {"type": "presence", "conversation": conversation.pk, "state": "replying"}
        )
        assert await stranger.receive_json_from(timeout=TIMEOUT) == {
            "type": "error",
            "code": "not_watching",
            "request": "presence",
        }
        await database_sync_to_async(message_reply)(
            conversation=conversation, author=agent, content=MessageContent(text="Hello")
        )
        # The insider's events prove something was published; the stranger got none of it.
        assert await frames_until_quiet(insider)
        assert await stranger.receive_nothing(timeout=QUIET)
        await insider.disconnect()
        await stranger.disconnect()

    run(scenario)


def test_presence_reaches_colleagues_on_the_conversation_only(
    agent: User, colleague: User, outsider: User, conversation: Conversation
) -> None:
    own_inbox = create_inbox(team=outsider.teams.get())
    elsewhere = create_conversation(inbox=own_inbox)
    headers = {user.pk: _headers(user) for user in (agent, colleague, outsider)}

    async def scenario() -> None:
        anna = await connect(headers[agent.pk])
        bo = await connect(headers[colleague.pk])
        carl = await connect(headers[outsider.pk])
        await watch(carl, elsewhere.pk, elsewhere.last_sequence)
        await watch(anna, conversation.pk, conversation.last_sequence)
        await watch(bo, conversation.pk, conversation.last_sequence)
        # Bo's arrival reaches Anna, and Anna answers so that Bo knows she is there.
        assert await anna.receive_json_from(timeout=TIMEOUT) == _presence_frame(
            conversation.pk, colleague, "viewing", is_answer=False
        )
        answer = _presence_frame(conversation.pk, agent, "viewing", is_answer=True)
        # Redis Pub/Sub hands a message to the process's group members when it arrives, so
        # Bo, who joined just after Anna announced herself, may hear that announcement too.
        arrival = _presence_frame(conversation.pk, agent, "viewing", is_answer=False)
        heard = await frames_until_quiet(bo)
        assert answer in heard
        assert all(frame in (answer, arrival) for frame in heard)
        await anna.send_json_to(
            {"type": "presence", "conversation": conversation.pk, "state": "replying"}
        )
        assert await bo.receive_json_from(timeout=TIMEOUT) == _presence_frame(
            conversation.pk, agent, "replying", is_answer=False
        )
        await anna.disconnect()
        assert await bo.receive_json_from(timeout=TIMEOUT) == _presence_frame(
            conversation.pk, agent, "left", is_answer=False
        )
        assert await bo.receive_nothing(timeout=QUIET)
        assert await carl.receive_nothing(timeout=QUIET)
        await bo.disconnect()
        await carl.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        '{"type": "dance"}',
        '{"type": "watch", "conversation": true, "after": 0}',
        '{"type": "watch", "conversation": 1, "after": -1}',
        '["watch"]',
    ],
)
def test_invalid_frames_get_an_error_and_keep_the_socket(agent: User, frame: str) -> None:
    headers = _headers(agent)

    async def scenario() -> None:
        communicator = await connect(headers)
        await communicator.send_to(text_data=frame)
        answer = await communicator.receive_json_from(timeout=TIMEOUT)
        assert answer["type"] == "error"
        assert answer["code"] == "invalid"
        await communicator.send_json_to({"type": "unwatch"})
        assert await communicator.receive_nothing(timeout=QUIET)
        await communicator.disconnect()

    run(scenario)
