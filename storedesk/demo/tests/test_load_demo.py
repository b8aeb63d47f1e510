"""`storedesk load_demo`, run twice: everything exists once, shaped like real data."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from storedesk.accounts.enums import Role
from storedesk.accounts.models import Team, User
from storedesk.brands.models import Brand
from storedesk.conversations.enums import (
    ConversationStatus,
    DeliveryStatus,
    MessageKind,
    ParticipantRole,
)
from storedesk.conversations.models import Attachment, Conversation, Message, Participant
from storedesk.customers.models import Customer
from storedesk.demo.credentials import DEMO_LOGINS
from storedesk.demo.loader import demo_load
from storedesk.demo.plan import DEMO_CONVERSATION_COUNT
from storedesk.inboxes.models import Inbox, InboxAddress
from storedesk.knowledge.models import ArticleTranslation, TranslationEmbedding
from storedesk.knowledge.search import semantic

pytestmark = pytest.mark.django_db

CaptureCallbacks = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


def test_running_twice_loads_everything_once(
    django_capture_on_commit_callbacks: CaptureCallbacks, tmp_path: Path
) -> None:
    # One test, because a load takes seconds: each helper below checks one promise.
    out = StringIO()
    for _ in range(2):
        # Run what would run after commit (task enqueueing, live updates), as in production.
        with django_capture_on_commit_callbacks(execute=True):
            call_command("load_demo", stdout=out)

    assert "300 of 300 conversations created" in out.getvalue()
    assert "0 of 300 conversations created (300 were already there)" in out.getvalue()
    _assert_exact_counts()
    _assert_every_status_and_language()
    _assert_threads_have_notes_cc_attachments_snoozes_and_blocks()
    _assert_history_is_past_and_nobody_was_mailed(devmail=tmp_path / "devmail")
    _assert_demo_logins_work()


def _assert_exact_counts() -> None:
    assert DEMO_CONVERSATION_COUNT == 300
    assert Brand.objects.count() == 2
    assert Team.objects.count() == 3
    assert User.objects.count() == 7
    assert User.objects.filter(role=Role.ADMIN).count() == 1
    assert Inbox.objects.count() == 6  # five ways in for mail and forms, and the live chat
    assert InboxAddress.objects.count() == 4
    assert Customer.objects.count() == 64
    assert Conversation.objects.count() == DEMO_CONVERSATION_COUNT
    assert Message.objects.filter(channel_metadata__has_key="demo_key").count() == 300


def _assert_every_status_and_language() -> None:
    statuses = set(Conversation.objects.values_list("status", flat=True))
    languages = set(Conversation.objects.values_list("language", flat=True))

    assert statuses == set(ConversationStatus.values)
    assert languages == {"en", "sv", "ru", "zh-hans"}


def _assert_threads_have_notes_cc_attachments_snoozes_and_blocks() -> None:
    assert Message.objects.filter(kind=MessageKind.NOTE).exists()
    assert Participant.objects.filter(role=ParticipantRole.CC).exists()
    assert Attachment.objects.filter(content_type="image/png").exists()
    assert Attachment.objects.filter(content_type="application/pdf").exists()
    assert Conversation.objects.filter(snoozed_until__gt=timezone.now()).exists()
    assert Customer.objects.filter(is_blocked=True).count() == 2


def _assert_history_is_past_and_nobody_was_mailed(*, devmail: Path) -> None:
    now = timezone.now()

    assert not Message.objects.filter(created_at__gt=now).exists()
    assert not Conversation.objects.filter(created_at__lt=now - timedelta(days=61)).exists()
    assert not Message.objects.filter(delivery_status=DeliveryStatus.QUEUED).exists()
    # conftest points DEVMAIL_DIR here; a delivered reply would have been written to it.
    assert not devmail.exists()


def _assert_demo_logins_work() -> None:
    usernames = {username for _, username, _ in DEMO_LOGINS}

    assert usernames == set(User.objects.values_list("username", flat=True))
    for _, username, password in DEMO_LOGINS:
        user = User.objects.get(username=username)
        assert user.check_password(password)
        assert user.avatar.name == f"avatars/{username}.png"


@pytest.mark.django_db(transaction=True)
def test_the_demo_knowledge_base_is_embedded_with_the_extra() -> None:
    # Committed for real: inside the load, tasks enqueued on commit go to the quiet backend;
    # the embedding tasks are enqueued after it (run at once by the tests' backend).
    demo_load()

    translations = ArticleTranslation.objects.count()
    embedded = TranslationEmbedding.objects.filter(model_id=semantic.MODEL_ID).count()
    assert translations > 0
    assert embedded == (translations if semantic.available() else 0)
