"""Cross-app test actors (STYLE.md 3.6). Each test builds what it needs from these."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_agent, create_team
from storedesk.brands.tests.factories import create_brand
from storedesk.customers.models import Customer
from storedesk.customers.tests.factories import create_customer
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox


@pytest.fixture(autouse=True)
def _isolated_test_settings(settings: Settings, tmp_path: Path) -> None:
    """Tasks run inline; files, captured mail and cache keys are private to each test.

    A fresh cache namespace per test keeps rate-limit and throttle counters from leaking
    between tests, also when parallel workers share one Redis database.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.DEVMAIL_DIR = str(tmp_path / "devmail")
    cache = dict(settings.CACHES["default"])
    cache["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    if cache["BACKEND"].endswith("LocMemCache"):
        cache["LOCATION"] = cache["KEY_PREFIX"]
    settings.CACHES = {"default": cache}


@pytest.fixture
def email_inbox(db: None) -> Inbox:
    team = create_team(name="Support")
    return create_inbox(
        brand=create_brand(), team=team, name="Support", address="support@shop.example"
    )


@pytest.fixture
def agent(email_inbox: Inbox) -> User:
    """An agent in the team that serves `email_inbox`."""
    user = create_agent(username="anna", display_name="Anna Berg")
    assert email_inbox.team is not None
    email_inbox.team.members.add(user)
    return user


@pytest.fixture
def customer(db: None) -> Customer:
    return create_customer(email="kim@example.com", name="Kim Lee")


@pytest.fixture
def agent_client(agent: User) -> Client:
    client = Client()
    client.force_login(agent)
    return client
