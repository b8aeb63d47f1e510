from __future__ import annotations

import os
import uuid

import pytest
import redis
from pytest_django.fixtures import Settings

from storedesk.accounts.models import Team, User
from storedesk.accounts.tests.factories import create_team
from storedesk.chat.models import Chat, ChatWidget
from storedesk.chat.services import chat_start
from storedesk.chat.tests.factories import create_online_agent, create_visitor, create_widget
from storedesk.inboxes.models import Inbox


@pytest.fixture
def team(db: None) -> Team:
    return create_team(name="Chat team")


@pytest.fixture
def widget(team: Team, email_inbox: Inbox) -> ChatWidget:
    """A chat inbox of `team` whose offline messages go to `email_inbox`."""
    return create_widget(team=team, offline_inbox=email_inbox)


@pytest.fixture
def agent(team: Team) -> User:
    return create_online_agent(team, capacity=3, username="anna")


@pytest.fixture
def chat(widget: ChatWidget, agent: User) -> Chat:
    return chat_start(session=create_visitor(widget), text="Where is my order?", client_id="first")


REDIS_TEST_URL = "redis://127.0.0.1:6379/1"


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["memory", "redis"])
def channel_layer(request: pytest.FixtureRequest, settings: Settings) -> str:
    if request.param == "memory":
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
        return "memory"
    if not _redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required in CI at {REDIS_TEST_URL}")
        pytest.skip(f"no Redis at {REDIS_TEST_URL}")
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_TEST_URL], "prefix": f"test-{uuid.uuid4().hex}"},
        }
    }
    return "redis"
