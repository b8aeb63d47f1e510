"""The inbound-mail webhook: raw RFC 5322 over HTTP, authenticated per inbox."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from storedesk.conversations.models import Conversation
from storedesk.inboxes.models import Inbox
from storedesk.mail.enums import IntakeSource
from storedesk.mail.models import RawEmail
from storedesk.mail.tests.factories import WEBHOOK_SECRET, create_inbound_webhook, make_raw_email
from storedesk.mail.webhook import inbound_webhook_set_up, signature_for

pytestmark = pytest.mark.django_db

SECRET = WEBHOOK_SECRET


def post(
    client: Client,
    inbox: Inbox,
    body: bytes,
    *,
    content_type: str = "message/rfc822",
    **headers: str,
) -> int:
    response = client.post(
        f"/mail/inbound/{inbox.pk}/", data=body, content_type=content_type, headers=headers
    )
    return response.status_code


@pytest.fixture
def hooked_inbox(email_inbox: Inbox) -> Inbox:
    create_inbound_webhook(inbox_id=email_inbox.pk, secret=SECRET)
    return email_inbox


def test_good_signature_stores_the_mail(
    hooked_inbox: Inbox, django_capture_on_commit_callbacks: object
) -> None:
    body = make_raw_email(subject="Via webhook")
    client = Client(enforce_csrf_checks=True)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        status = post(client, hooked_inbox, body, X_Storedesk_Signature=signature_for(SECRET, body))

    assert status == 200
    raw_email = RawEmail.objects.get()
    assert bytes(raw_email.raw) == body
    assert raw_email.source == IntakeSource.WEBHOOK
    assert raw_email.deliveries.get().inbox_id == hooked_inbox.pk
    assert Conversation.objects.get().subject == "Via webhook"


def test_bearer_token_is_accepted(hooked_inbox: Inbox) -> None:
    body = make_raw_email()

    status = post(
        Client(),
        hooked_inbox,
        body,
        content_type="application/octet-stream",
        Authorization=f"Bearer {SECRET}",
    )

    assert status == 200
    assert RawEmail.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"X_Storedesk_Signature": "sha256=" + "0" * 64},
        {"X_Storedesk_Signature": signature_for("another-secret", b"whatever")},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {SECRET}"},
        {},
    ],
    ids=["zero-signature", "forged-signature", "wrong-token", "not-bearer", "missing"],
)
def test_bad_or_missing_credentials_are_refused(
    hooked_inbox: Inbox, headers: dict[str, str]
) -> None:
    status = post(Client(), hooked_inbox, make_raw_email(), **headers)

    assert status == 403
    assert RawEmail.objects.count() == 0


def test_signature_of_another_body_is_refused(hooked_inbox: Inbox) -> None:
    signed = make_raw_email(subject="Signed")

    status = post(
        Client(),
        hooked_inbox,
        make_raw_email(subject="Swapped"),
        X_Storedesk_Signature=signature_for(SECRET, signed),
    )

    assert status == 403
    assert RawEmail.objects.count() == 0


def test_inbox_without_webhook_is_refused(email_inbox: Inbox) -> None:
    assert post(Client(), email_inbox, make_raw_email(), Authorization="Bearer ") == 403
    assert RawEmail.objects.count() == 0


def test_same_body_twice_is_stored_once(hooked_inbox: Inbox) -> None:
    body = make_raw_email()
    signature = signature_for(SECRET, body)

    first = post(Client(), hooked_inbox, body, X_Storedesk_Signature=signature)
    second = post(Client(), hooked_inbox, body, X_Storedesk_Signature=signature)

    assert (first, second) == (200, 200)
    assert RawEmail.objects.count() == 1


def test_too_large_is_413(hooked_inbox: Inbox, settings: Settings) -> None:
    settings.MAIL_MAX_MESSAGE_BYTES = 1_000
    body = make_raw_email(body="x" * 2_000)

    status = post(Client(), hooked_inbox, body, X_Storedesk_Signature=signature_for(SECRET, body))

    assert status == 413
    assert RawEmail.objects.count() == 0


def test_other_content_types_are_415(hooked_inbox: Inbox) -> None:
    status = post(
        Client(),
        hooked_inbox,
        b"a=b",
        content_type="application/x-www-form-urlencoded",
        Authorization=f"Bearer {SECRET}",
    )

    assert status == 415


def test_set_up_gives_a_fresh_secret(email_inbox: Inbox) -> None:
    first = inbound_webhook_set_up(inbox=email_inbox).secret
    second = inbound_webhook_set_up(inbox=email_inbox).secret

    assert first != second
    assert len(second) >= 40
