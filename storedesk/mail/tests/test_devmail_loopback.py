"""The development capture delivers mail for the shop's own addresses back into intake."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from storedesk.conversations.models import Conversation
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.mail.enums import IntakeSource, OutboundKind, RawEmailKind, RawEmailState
from storedesk.mail.models import OutboundEmail, RawEmail, RawEmailDelivery
from storedesk.mail.outbox import outbound_email_enqueue

pytestmark = pytest.mark.django_db
Capture = Callable[..., AbstractContextManager[Any]]


@pytest.fixture
def loopback(settings: Settings) -> None:
    settings.DEVELOPMENT = True
    settings.EMAIL_BACKEND = "storedesk.core.devmail.CaptureEmailBackend"
    settings.STOREDESK_DEVMAIL_LOOPBACK = "storedesk.mail.health.devmail_loopback"


def _reply(capture: Capture, *, to: str, cc: tuple[str, ...] = ()) -> OutboundEmail:
    with capture(execute=True):
        return outbound_email_enqueue(
            kind=OutboundKind.REPLY,
            mail_from="Lamp Shop <support@shop.example>",
            recipients=[to],
            cc=cc,
            subject="Re: Where is my lamp?",
            text="It ships today.",
        )


def _captured(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "devmail").glob("*.eml"))


def test_replies_to_customers_are_captured_not_looped(
    email_inbox: Inbox,
    loopback: None,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _reply(django_capture_on_commit_callbacks, to="Kim Lee <kim@example.com>")

    assert len(_captured(tmp_path)) == 1
    assert RawEmail.objects.count() == 0
    assert Conversation.objects.count() == 0


def test_a_copy_to_our_address_comes_back_as_our_own_automatic_mail(
    email_inbox: Inbox,
    loopback: None,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    sales = create_inbox(name="Sales", address="sales@shop.example")

    _reply(django_capture_on_commit_callbacks, to="kim@example.com", cc=("Sales+x@Shop.Example",))

    assert len(_captured(tmp_path)) == 1
    raw_email = RawEmail.objects.get()
    assert (raw_email.source, raw_email.state, raw_email.kind) == (
        IntakeSource.DEVMAIL,
        RawEmailState.PROCESSED,
        RawEmailKind.AUTO_REPLY,
    )
    delivery = RawEmailDelivery.objects.get()
    assert (delivery.inbox, delivery.recipient) == (sales, "sales+x@shop.example")
    # Our own mail is automatic: nothing answers it, so nothing can loop.
    assert list(OutboundEmail.objects.values_list("kind", flat=True)) == [OutboundKind.REPLY]


def test_no_loop_back_outside_development(
    email_inbox: Inbox,
    loopback: None,
    settings: Settings,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.DEVELOPMENT = False

    _reply(django_capture_on_commit_callbacks, to="support@shop.example")

    assert len(_captured(tmp_path)) == 1
    assert RawEmail.objects.count() == 0
