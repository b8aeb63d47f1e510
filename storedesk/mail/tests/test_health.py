"""Mailbox health checks: probes out through the outbox, back through intake, admins told."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_admin
from storedesk.conversations.models import Conversation
from storedesk.inboxes.models import Inbox, InboxAddress
from storedesk.mail.enums import IntakeSource, OutboundKind, RawEmailKind, RawEmailState
from storedesk.mail.health import (
    PROBE_HEADER,
    HealthStatus,
    mailbox_health_check,
    mailbox_health_list,
)
from storedesk.mail.intake import raw_email_process
from storedesk.mail.intake_store import raw_email_receive
from storedesk.mail.models import MailboxProbe, OutboundEmail, RawEmail
from storedesk.mail.tests.factories import make_raw_email

pytestmark = pytest.mark.django_db
Capture = Callable[..., AbstractContextManager[Any]]
CAPTURE_BACKEND = "storedesk.core.devmail.CaptureEmailBackend"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def loopback(settings: Settings) -> None:
    """`make run`'s mail: the development capture, looping our own addresses back."""
    settings.DEVELOPMENT = True
    settings.EMAIL_BACKEND = CAPTURE_BACKEND
    settings.STOREDESK_DEVMAIL_LOOPBACK = "storedesk.mail.health.devmail_loopback"


@pytest.fixture(autouse=True)
def _limits(settings: Settings) -> None:
    settings.STOREDESK_MAIL_PROBE_MAX_SECONDS = 600
    settings.STOREDESK_MAIL_PROBE_INTERVAL_SECONDS = 900
    settings.STOREDESK_OUTBOUND_MAIL_PORT = "storedesk.mail.outbox.OutboxMailPort"


def _address(inbox: Inbox) -> InboxAddress:
    return inbox.addresses.get()


def _create_probe(
    address: InboxAddress, *, sent_at: datetime, received_at: datetime | None = None
) -> MailboxProbe:
    return MailboxProbe.objects.create(
        address=address,
        token=f"t-{sent_at.timestamp()}",
        sent_at=sent_at,
        received_at=received_at,
    )


def _alerts() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=OutboundKind.NOTIFICATION))


def test_probe_goes_out_comes_back_through_the_capture_and_passes(
    email_inbox: Inbox, loopback: None, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = mailbox_health_check()

    probe = MailboxProbe.objects.get()
    assert report.probes_sent == [probe.pk]
    assert probe.address == _address(email_inbox)
    assert probe.received_at is not None
    outbound = OutboundEmail.objects.get()
    assert (outbound.kind, outbound.recipients) == (OutboundKind.PROBE, ["support@shop.example"])
    assert f"{PROBE_HEADER}: {probe.token}".encode() in bytes(outbound.raw)
    raw_email = RawEmail.objects.get()
    assert (raw_email.source, raw_email.state, raw_email.kind) == (
        IntakeSource.DEVMAIL,
        RawEmailState.IGNORED,
        RawEmailKind.PROBE,
    )
    assert Conversation.objects.count() == 0
    [health] = mailbox_health_list()
    assert (health.address, health.status, health.consecutive_failures) == (
        "support@shop.example",
        HealthStatus.OK,
        0,
    )
    assert health.last_success_at == probe.received_at
    assert health.round_trip_seconds is not None
    assert health.round_trip_seconds < 60


def test_probe_that_never_returns_fails_and_admins_are_mailed_once(
    email_inbox: Inbox, agent: User, django_capture_on_commit_callbacks: Capture
) -> None:
    admins = [create_admin(), create_admin()]
    start = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        mailbox_health_check(now=start)  # Django's test mail backend: nothing comes back
    assert mailbox_health_list(now=start + 9 * MINUTE)[0].status == HealthStatus.UNKNOWN
    assert _alerts() == []

    with django_capture_on_commit_callbacks(execute=True):
        first = mailbox_health_check(now=start + 15 * MINUTE)
    assert first.new_failures == ["support@shop.example"]
    alerts = _alerts()
    assert sorted(a.recipients[0] for a in alerts) == sorted(a.email for a in admins)
    assert {m.subject for m in mail.outbox if m.to[0] != "support@shop.example"} == {
        "Mailbox check failed: support@shop.example"
    }

    with django_capture_on_commit_callbacks(execute=True):
        second = mailbox_health_check(now=start + 30 * MINUTE)
        duplicate = mailbox_health_check(now=start + 30 * MINUTE + MINUTE)
    assert (second.new_failures, duplicate.new_failures, duplicate.probes_sent) == ([], [], [])
    assert len(_alerts()) == 2
    [health] = mailbox_health_list(now=start + 31 * MINUTE)
    assert (health.status, health.consecutive_failures, health.last_success_at) == (
        HealthStatus.FAILING,
        2,
        None,
    )
    assert MailboxProbe.objects.count() == 3
    assert Conversation.objects.count() == 0


def test_recovery_then_a_new_failure_mails_again(email_inbox: Inbox) -> None:
    create_admin()
    address = _address(email_inbox)
    start = timezone.now() - 60 * MINUTE
    _create_probe(address, sent_at=start)  # failed
    _create_probe(address, sent_at=start + 15 * MINUTE, received_at=start + 16 * MINUTE)
    _create_probe(address, sent_at=start + 30 * MINUTE)  # fails at +40

    report = mailbox_health_check(now=start + 45 * MINUTE)

    assert report.new_failures == ["support@shop.example"]
    assert len(_alerts()) == 1


def test_a_late_probe_counts_as_failed(email_inbox: Inbox) -> None:
    address = _address(email_inbox)
    sent = timezone.now() - 30 * MINUTE
    _create_probe(address, sent_at=sent, received_at=sent + 11 * MINUTE)

    [health] = mailbox_health_list()

    assert (health.status, health.consecutive_failures) == (HealthStatus.FAILING, 1)


def test_a_probe_delivered_twice_is_ignored_twice(
    email_inbox: Inbox, django_capture_on_commit_callbacks: Capture
) -> None:
    address = _address(email_inbox)
    probe = _create_probe(address, sent_at=timezone.now())
    raw = make_raw_email(
        from_="support@shop.example",
        subject=f"Storedesk mailbox check {probe.token}",
        headers=[(PROBE_HEADER, probe.token)],
    )

    with django_capture_on_commit_callbacks(execute=True):
        first = raw_email_receive(raw=raw, source=IntakeSource.SMTP, recipients=[address.email])
    first_arrival = MailboxProbe.objects.get().received_at
    other = RawEmail.objects.create(
        dedupe_key="raw:again", raw=raw, size=len(raw), source=IntakeSource.IMAP
    )
    raw_email_process(raw_email=other)

    assert first_arrival == first.created_at
    assert MailboxProbe.objects.get().received_at == first_arrival
    assert set(RawEmail.objects.values_list("state", "kind")) == {
        (RawEmailState.IGNORED, RawEmailKind.PROBE)
    }
    assert Conversation.objects.count() == 0


def test_an_unknown_probe_token_is_ordinary_mail(
    email_inbox: Inbox, django_capture_on_commit_callbacks: Capture
) -> None:
    raw = make_raw_email(headers=[(PROBE_HEADER, "not-one-of-ours")])

    with django_capture_on_commit_callbacks(execute=True):
        raw_email_receive(raw=raw, source=IntakeSource.SMTP, recipients=["support@shop.example"])

    assert RawEmail.objects.get().state == RawEmailState.PROCESSED
    assert Conversation.objects.count() == 1


def test_banner_shows_to_agents_while_an_address_fails(
    email_inbox: Inbox, agent: User, agent_client: Client
) -> None:
    _create_probe(_address(email_inbox), sent_at=timezone.now() - 20 * MINUTE)
    admin_client = Client()
    admin_client.force_login(create_admin())

    agent_page = agent_client.get(reverse("conversations:inbox")).content.decode()
    admin_page = admin_client.get(reverse("conversations:inbox")).content.decode()

    assert 'data-mailbox-health="failing"' in agent_page
    assert "Mail to support@shop.example is not arriving" in agent_page
    assert reverse("mail:health") not in agent_page
    assert f'href="{reverse("mail:health")}"' in admin_page


def test_no_banner_while_all_addresses_pass(
    email_inbox: Inbox, agent: User, agent_client: Client
) -> None:
    sent = timezone.now() - 20 * MINUTE
    _create_probe(_address(email_inbox), sent_at=sent, received_at=sent + MINUTE)

    page = agent_client.get(reverse("conversations:inbox")).content.decode()

    assert "data-mailbox-health" not in page


def test_health_page_lists_addresses_for_admins(email_inbox: Inbox) -> None:
    sent = timezone.now() - 20 * MINUTE
    _create_probe(_address(email_inbox), sent_at=sent, received_at=sent + 90 * timedelta(seconds=1))
    client = Client()
    client.force_login(create_admin())

    response = client.get(reverse("mail:health"))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-address="support@shop.example" data-status="ok"' in body
    assert "90.0 s" in body


@pytest.mark.parametrize("signed_in", [True, False])
def test_health_page_is_for_admins_only(
    email_inbox: Inbox, agent: User, agent_client: Client, signed_in: bool
) -> None:
    client = agent_client if signed_in else Client()

    response = client.get(reverse("mail:health"))

    assert response.status_code == (404 if signed_in else 302)


def test_admins_are_alerted_in_their_language(email_inbox: Inbox) -> None:
    admin = create_admin()
    admin.language = "sv"
    admin.save(update_fields=["language"])
    _create_probe(_address(email_inbox), sent_at=timezone.now() - 11 * MINUTE)

    mailbox_health_check()

    [alert] = _alerts()
    parsed = email.message_from_bytes(bytes(alert.raw), policy=email.policy.default)
    assert parsed["Subject"] == "Kontrollen av postlådan misslyckades: support@shop.example"
