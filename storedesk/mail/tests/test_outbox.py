"""The outbox against a real SMTP server: exact bytes, retries, outages, no resends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from pytest_django.fixtures import Settings

from storedesk.accounts.models import User
from storedesk.conversations.enums import DeliveryStatus
from storedesk.conversations.models import Message
from storedesk.conversations.services.messages import MessageContent, message_reply
from storedesk.conversations.tests.factories import create_conversation
from storedesk.core.mail import OutboundAttachment
from storedesk.customers.models import Customer
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.mail.enums import OutboundKind, OutboundState
from storedesk.mail.models import OutboundEmail
from storedesk.mail.outbox import outbound_email_enqueue
from storedesk.mail.outbox_send import RETRY_GIVE_UP, outbox_send_due
from storedesk.mail.tasks import outbox_send_task
from storedesk.mail.tests.outbox_smtp import SmtpSink, point_at
from storedesk.portal.services import signin_link_send

pytestmark = pytest.mark.django_db
Capture = Callable[..., AbstractContextManager[Any]]
PORT_PATH = "storedesk.mail.outbox.OutboxMailPort"




@pytest.fixture
def smtp_down(settings: Settings) -> Iterator[SmtpSink]:
    """Settings point at a port where nothing listens yet; `start()` brings it up."""
    sink = SmtpSink()
    point_at(settings, sink)
    yield sink
    sink.stop()


def _enqueue(**overrides: Any) -> OutboundEmail:
    fields: dict[str, Any] = {
        "kind": OutboundKind.REPLY,
        "mail_from": "Lamp Shop <support@shop.example>",
        "recipients": ["Kim Lee <kim@example.com>"],
        "subject": "Re: Where is my lamp? [#1001]",
        "text": "It ships today.",
    }
    return outbound_email_enqueue(**(fields | overrides))


def test_server_receives_the_stored_bytes_with_threading_headers(
    smtp: SmtpSink, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        outbound = _enqueue(
            html="<p>It ships <b>today</b>.</p>",
            cc=["ola@example.com"],
            in_reply_to="first@customer.example",
            references=["<first@customer.example>", "<second@customer.example>"],
            reply_to=["support+T4Q9XK7M@shop.example"],
            attachments=[OutboundAttachment("receipt.pdf", b"%PDF-1.4 ...", "application/pdf")],
        )

    outbound.refresh_from_db()
    [received] = smtp.received
    assert received.content == bytes(outbound.raw)
    assert received.mail_from == "support@shop.example"
    assert received.rcpt_tos == ["kim@example.com", "ola@example.com"]
    parsed = received.parsed()
    assert parsed["Message-ID"] == outbound.header_message_id
    assert outbound.header_message_id.endswith("@storedesk.invalid>")
    assert parsed["In-Reply-To"] == "<first@customer.example>"
    assert parsed["References"] == "<first@customer.example> <second@customer.example>"
    assert parsed["Reply-To"] == "support+T4Q9XK7M@shop.example"
    assert parsed["Cc"] == "ola@example.com"
    assert parsed["Auto-Submitted"] is None
    assert parsed.get_content_type() == "multipart/mixed"
    body = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert body is not None
    assert body.get_content() == "It ships today.\r\n"
    assert html is not None
    assert "<b>today</b>" in html.get_content()
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "receipt.pdf"
    assert attachment.get_content() == b"%PDF-1.4 ..."
    assert (outbound.state, outbound.attempts, outbound.sent_at is not None) == (
        OutboundState.SENT,
        1,
        True,
    )


@pytest.mark.parametrize(
    ("kind", "auto_submitted"),
    [
        (OutboundKind.AUTO_REPLY, "auto-replied"),
        (OutboundKind.NOTIFICATION, "auto-generated"),
        (OutboundKind.PROBE, "auto-generated"),
    ],
)
def test_automatic_mail_is_marked_so_responders_stay_quiet(
    kind: str, auto_submitted: str, smtp: SmtpSink
) -> None:
    _enqueue(kind=kind)
    outbox_send_due()

    parsed = smtp.received[0].parsed()
    assert parsed["Auto-Submitted"] == auto_submitted
    assert parsed["X-Auto-Response-Suppress"] == "All"


def test_the_row_commits_with_the_caller_or_not_at_all(smtp: SmtpSink) -> None:
    def reply_that_fails() -> None:
        with transaction.atomic():
            _enqueue()
            raise RuntimeError("the reply failed")

    with pytest.raises(RuntimeError):
        reply_that_fails()

    assert OutboundEmail.objects.count() == 0
    assert outbox_send_due().sent == []
    assert smtp.received == []


def test_long_message_ids_are_folded_between_ids_never_encoded(smtp: SmtpSink) -> None:
    long_id = f"<{'A1B2C3D4' * 12}@PH0PR11MB1234.namprd11.prod.outlook.com>"
    references = [f"<{n}-{'x' * 40}@customer.example>" for n in range(3)]
    outbound = _enqueue(in_reply_to=long_id, references=[*references, long_id])

    raw = bytes(outbound.raw)
    assert f"In-Reply-To: {long_id}\r\n".encode() in raw
    assert b"=?" not in raw.split(b"\r\n\r\n")[0]
    outbox_send_due()
    parsed = smtp.received[0].parsed()
    assert parsed["In-Reply-To"] == long_id
    assert parsed["References"].split() == [*references, long_id]


def _replies(count: int, *, agent: User, capture: Capture) -> list[Message]:
    conversation = create_conversation(inbox=create_inbox(address="help@shop.example"))
    with capture(execute=True):
        return [
            message_reply(conversation=conversation, author=agent, content=MessageContent(text=t))
            for t in (f"Answer {n}" for n in range(count))
        ]


def test_ten_minute_outage_loses_nothing_and_sends_each_once(
    smtp_down: SmtpSink, agent: User, django_capture_on_commit_callbacks: Capture
) -> None:
    replies = _replies(5, agent=agent, capture=django_capture_on_commit_callbacks)
    start = timezone.now()

    for step in range(1, 21):  # the scheduler's 30-second beat over ten minutes
        report = outbox_send_due(now=start + timedelta(seconds=30 * step))
        assert report.sent == []
        assert report.failed == []

    rows = list(OutboundEmail.objects.order_by("id"))
    assert len(rows) == 5
    # Tried at once, then after about 1, 2 and 4 minutes; the next try is 8 minutes out.
    assert [(r.state, r.attempts) for r in rows] == [(OutboundState.QUEUED, 4)] * 5
    assert all("connection failed" in r.last_error for r in rows)
    assert {m.delivery_status for m in Message.objects.filter(pk__in=[r.pk for r in replies])} == {
        DeliveryStatus.QUEUED
    }

    smtp_down.start()
    sent = outbox_send_due(now=start + timedelta(minutes=30))
    again = outbox_send_due(now=start + timedelta(days=1))

    assert sorted(sent.sent) == [r.pk for r in rows]
    assert again.sent == []
    received_ids = [m.parsed()["Message-ID"] for m in smtp_down.received]
    assert sorted(received_ids) == sorted(r.header_message_id for r in rows)
    assert OutboundEmail.objects.filter(state=OutboundState.SENT, attempts=5).count() == 5
    assert set(
        Message.objects.filter(kind="outbound").values_list("delivery_status", flat=True)
    ) == {DeliveryStatus.SENT}


def test_a_permanent_refusal_fails_the_message(
    smtp: SmtpSink, agent: User, django_capture_on_commit_callbacks: Capture
) -> None:
    smtp.data_reply = "554 5.7.1 Message rejected"
    [reply] = _replies(1, agent=agent, capture=django_capture_on_commit_callbacks)

    outbound = OutboundEmail.objects.get()
    reply.refresh_from_db()
    assert (outbound.state, outbound.attempts) == (OutboundState.FAILED, 1)
    assert outbound.last_error == "554 5.7.1 Message rejected"
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert outbox_send_due(now=timezone.now() + timedelta(days=1)).sent == []
    assert smtp.received == []


def test_a_temporary_refusal_backs_off(smtp: SmtpSink) -> None:
    smtp.data_reply = "451 4.3.0 Try again later"
    outbound = _enqueue()
    now = timezone.now()

    report = outbox_send_due(now=now)

    outbound.refresh_from_db()
    assert report.retrying == [outbound.pk]
    assert (outbound.state, outbound.attempts) == (OutboundState.QUEUED, 1)
    assert outbound.last_error == "451 4.3.0 Try again later"
    assert now + timedelta(seconds=60) <= outbound.next_attempt_at <= now + timedelta(seconds=72)
    assert outbox_send_due(now=now + timedelta(seconds=59)).retrying == []


def test_gives_up_after_two_days(smtp_down: SmtpSink) -> None:
    outbound = _enqueue()

    report = outbox_send_due(now=outbound.created_at + RETRY_GIVE_UP)

    outbound.refresh_from_db()
    assert report.failed == [outbound.pk]
    assert outbound.state == OutboundState.FAILED


def test_a_sent_row_is_never_sent_again(
    smtp: SmtpSink, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        outbound = _enqueue()

    outbox_send_task.enqueue(outbound.pk)
    outbox_send_task.enqueue(outbound.pk)
    outbox_send_due(now=timezone.now() + timedelta(days=1))

    outbound.refresh_from_db()
    assert len(smtp.received) == 1
    assert (outbound.state, outbound.attempts) == (OutboundState.SENT, 1)


def test_one_send_task_sends_its_rows_over_one_connection_and_skips_the_rest(
    smtp: SmtpSink,
) -> None:
    first = _enqueue()
    second = _enqueue(recipients=["Sam <sam@example.net>"])
    already_sent = _enqueue(recipients=["Ola <ola@example.com>"])
    outbox_send_task.call(already_sent.pk)

    # A gathered task (core.tasks.enqueues_gathered) may name a row its savepoint undid.
    outbox_send_task.call(first.pk, second.pk, already_sent.pk, 999_999)

    assert sorted(r.rcpt_tos[0] for r in smtp.received) == [
        "kim@example.com", "ola@example.com", "sam@example.net",
    ]
    assert len({r.peer for r in smtp.received[1:]}) == 1
    assert set(OutboundEmail.objects.values_list("state", flat=True)) == {OutboundState.SENT}


def test_without_smtp_the_configured_backend_gets_the_same_bytes(
    settings: Settings, tmp_path: Path
) -> None:
    outbound = _enqueue(html="<p>It ships today.</p>")
    outbox_send_due()

    [sent] = mail.outbox
    assert sent.to == ["kim@example.com"]
    assert sent.body == "It ships today.\n"
    assert sent.message().as_bytes() == bytes(outbound.raw)

    settings.EMAIL_BACKEND = "storedesk.core.devmail.CaptureEmailBackend"
    captured = _enqueue()
    outbox_send_due()
    [file] = (tmp_path / "devmail").glob("*.eml")
    assert file.read_bytes() == bytes(captured.raw)


def test_magic_links_go_through_the_outbox_port(
    smtp: SmtpSink,
    settings: Settings,
    customer: Customer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.STOREDESK_OUTBOUND_MAIL_PORT = PORT_PATH

    with django_capture_on_commit_callbacks(execute=True):
        assert signin_link_send(email="kim@example.com", brand=None, language="en")

    outbound = OutboundEmail.objects.get()
    assert (outbound.kind, outbound.state) == (OutboundKind.NOTIFICATION, OutboundState.SENT)
    [received] = smtp.received
    assert received.rcpt_tos == ["kim@example.com"]
    parsed = received.parsed()
    assert parsed["Auto-Submitted"] == "auto-generated"
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    assert "/portal/signin/" in body.get_content()


def test_web_form_reply_notifications_go_through_the_outbox_port(
    smtp: SmtpSink,
    settings: Settings,
    customer: Customer,
    agent: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.STOREDESK_OUTBOUND_MAIL_PORT = PORT_PATH
    conversation = create_conversation(
        inbox=create_inbox(channel=Channel.WEB_FORM), customer=customer
    )

    with django_capture_on_commit_callbacks(execute=True):
        reply = message_reply(
            conversation=conversation, author=agent, content=MessageContent(text="On its way!")
        )

    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    assert OutboundEmail.objects.get().kind == OutboundKind.NOTIFICATION
    [received] = smtp.received
    body = received.parsed().get_body(preferencelist=("plain",))
    assert body is not None
    assert "On its way!" in body.get_content()
