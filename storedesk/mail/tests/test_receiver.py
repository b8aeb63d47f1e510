"""The SMTP/LMTP receiver, spoken to over real sockets with smtplib as the shop's MTA."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import OperationalError, connections
from pytest_django.fixtures import Settings

from storedesk.conversations.models import Conversation
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.mail.enums import IntakeSource, RawEmailState
from storedesk.mail.models import RawEmail, RawEmailDelivery
from storedesk.mail.receiver import IntakeHandler, ReceiverService
from storedesk.mail.tests.factories import make_raw_email

# Threads serving the receiver use their own database connections, so the test data must be
# committed: these are transactional tests.
pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inboxes() -> None:
    create_inbox(name="Support", address="support@shop.example")


@pytest.fixture
def receiver(inboxes: None) -> Iterator[ReceiverService]:
    service = ReceiverService(port=free_port())
    service.start()
    assert service.is_running
    yield service
    service.request_stop()
    assert service.join(10)
    connections.close_all()


def send(service: ReceiverService, raw: bytes, rcpts: list[str]) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP("127.0.0.1", service.port, timeout=30) as client:
        return client.sendmail("shop-mta@shop.example", rcpts, raw)


def test_mail_for_our_address_is_stored_before_250(receiver: ReceiverService) -> None:
    raw = make_raw_email(subject="Over SMTP")

    refused = send(receiver, raw, ["Support+abc@Shop.Example"])

    assert refused == {}
    stored = RawEmail.objects.get()
    assert bytes(stored.raw) == raw
    assert stored.source == IntakeSource.SMTP
    assert stored.envelope_from == "shop-mta@shop.example"
    assert RawEmailDelivery.objects.get().recipient == "support+abc@shop.example"
    # Tasks run inline in tests: the conversation exists once the 250 arrived.
    assert Conversation.objects.get().subject == "Over SMTP"
    assert stored.pk == RawEmail.objects.get(state=RawEmailState.PROCESSED).pk


def test_unknown_recipient_gets_550_and_nothing_is_stored(receiver: ReceiverService) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(receiver, make_raw_email(), ["nobody@shop.example"])

    code, message = refused.value.recipients["nobody@shop.example"]
    assert code == 550
    assert b"no such mailbox" in message
    assert RawEmail.objects.count() == 0


def test_known_and_unknown_recipients_together(receiver: ReceiverService) -> None:
    refused = send(receiver, make_raw_email(), ["support@shop.example", "ghost@shop.example"])

    assert refused["ghost@shop.example"][0] == 550
    assert RawEmailDelivery.objects.get().recipient == "support@shop.example"


def test_too_large_mail_gets_552(inboxes: None, settings: Settings) -> None:
    settings.MAIL_MAX_MESSAGE_BYTES = 2_000
    service = ReceiverService(port=free_port())
    service.start()
    try:
        raw = make_raw_email(body=("x" * 70 + "\n") * 80)
        with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as error:
            send(service, raw, ["support@shop.example"])
        assert error.value.smtp_code == 552
        # A client that ignores the SIZE extension is refused after DATA all the same.
        with smtplib.SMTP("127.0.0.1", service.port, timeout=30) as client:
            client.ehlo()
            client.esmtp_features.pop("size", None)
            with pytest.raises(smtplib.SMTPDataError) as data_error:
                client.sendmail("mta@shop.example", ["support@shop.example"], raw)
        assert data_error.value.smtp_code == 552
    finally:
        service.request_stop()
        service.join(10)
    assert RawEmail.objects.count() == 0


def test_same_message_twice_is_stored_once(receiver: ReceiverService) -> None:
    raw = make_raw_email(message_id="<retry@example.com>")

    send(receiver, raw, ["support@shop.example"])
    send(receiver, raw, ["support@shop.example"])

    assert RawEmail.objects.count() == 1
    assert Conversation.objects.count() == 1


def _failing_inserts(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
) -> Any:
    if sql.lstrip().upper().startswith("INSERT") and "mail_rawemail" in sql:
        raise OperationalError("could not write: disk full")
    return execute(sql, params, many, context)


def _install_failing_inserts() -> None:
    # The database at its edge: each receiver thread's connection refuses to store mail.
    connections["default"].execute_wrappers.append(_failing_inserts)


def test_database_error_answers_451_so_the_sender_retries(inboxes: None) -> None:
    executor = ThreadPoolExecutor(1, initializer=_install_failing_inserts)
    service = ReceiverService(port=free_port())
    service.controller.handler = IntakeHandler(executor=executor)
    service.start()
    try:
        with pytest.raises(smtplib.SMTPDataError) as error:
            send(service, make_raw_email(), ["support@shop.example"])
    finally:
        service.request_stop()
        service.join(10)
    assert error.value.smtp_code == 451
    assert RawEmail.objects.count() == 0


def test_lmtp_answers_once_per_recipient(inboxes: None) -> None:
    create_inbox(name="Sales", address="sales@shop.example")
    service = ReceiverService(port=free_port(), lmtp=True)
    service.start()
    try:
        with socket.create_connection(("127.0.0.1", service.port), timeout=30) as conn:
            replies = _lmtp_dialogue(conn, make_raw_email(to=["support@shop.example"]))
    finally:
        service.request_stop()
        service.join(10)
    data_replies = [line for line in replies if line.startswith(b"250 2.0.0")]
    assert len(data_replies) == 2
    raw_email = RawEmail.objects.get()
    assert raw_email.source == IntakeSource.LMTP
    assert raw_email.deliveries.count() == 2


def _lmtp_dialogue(conn: socket.socket, raw: bytes) -> list[bytes]:
    reader = conn.makefile("rb")

    def command(line: bytes) -> None:
        conn.sendall(line + b"\r\n")

    def reply() -> bytes:
        while (line := reader.readline()).startswith(b"2") and line[3:4] == b"-":
            pass  # continuation lines of a multi-line reply
        return line.rstrip()

    reply()  # greeting
    for line in (
        b"LHLO mta.shop.example",
        b"MAIL FROM:<mta@shop.example>",
        b"RCPT TO:<support@shop.example>",
        b"RCPT TO:<sales@shop.example>",
        b"DATA",
    ):
        command(line)
        reply()
    conn.sendall(raw.replace(b"\n.", b"\n..") + b"\r\n.\r\n")
    replies = [reply(), reply()]
    command(b"QUIT")
    return replies


def test_service_on_a_taken_port_stays_down_without_raising(inboxes: None) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        service = ReceiverService(port=int(squatter.getsockname()[1]))

        service.start()

    assert not service.is_running
    service.request_stop()
    assert service.join(1)


def test_serve_starts_the_receiver_with_its_background_services() -> None:
    from storedesk.core.management.commands.serve import Command

    services = Command()._services(with_worker=False)

    assert "smtp-receiver" in [service.name for service in services]
