from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.models import Customer, MagicLink
from storedesk.inboxes.models import Inbox
from storedesk.portal.views.signin import SIGNIN_LIMIT_PER_ADDRESS

# Mail leaves through the outbox after commit, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)
SENT = "If we know this address, we sent you a link"


def _link_path(body: object) -> str:
    match = re.search(r"http://[^/\s]+(/portal/signin/[^\s]+)", str(body))
    assert match is not None, body
    return match.group(1)


def _request_link(client: Client, email: str) -> str:
    response = client.post(reverse("portal:signin"), {"email": email})
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    return _link_path(mail.outbox[0].body)


def test_magic_link_signs_in_and_lists_requests(
    web_form_inbox: Inbox, customer: Customer
) -> None:
    conversation = create_conversation(inbox=web_form_inbox, customer=customer, subject="Lamp")
    client = Client()

    response = client.post(reverse("portal:signin"), {"email": "KIM@example.com "})

    assert SENT in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kim@example.com"]
    path = _link_path(mail.outbox[0].body)
    confirm = client.get(path)
    assert confirm.status_code == 200
    assert MagicLink.objects.get().used_at is None  # a GET (a mail scanner) burns nothing
    assert "portal_customer_id" not in client.session
    session_key_before = client.session.session_key

    redeemed = client.post(path)

    assert redeemed.status_code == 302
    assert redeemed["Location"] == reverse("portal:requests")
    assert client.session["portal_customer_id"] == customer.pk
    assert client.session.session_key != session_key_before
    listing = client.get(reverse("portal:requests"))
    assert f"#{conversation.number}" in listing.content.decode()
    assert "Lamp" in listing.content.decode()


def test_unknown_address_gets_the_same_answer_and_no_mail(customer: Customer) -> None:
    response = Client().post(reverse("portal:signin"), {"email": "nobody@example.com"})

    assert response.status_code == 200
    assert SENT in response.content.decode()
    assert mail.outbox == []
    assert MagicLink.objects.count() == 0


def test_used_link_is_refused(customer: Customer) -> None:
    path = _request_link(Client(), "kim@example.com")
    assert Client().post(path).status_code == 302

    again = Client()
    response = again.post(path)

    assert response.status_code == 400
    assert "portal_customer_id" not in again.session


def test_expired_link_is_refused(customer: Customer) -> None:
    path = _request_link(Client(), "kim@example.com")
    MagicLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client = Client()

    response = client.post(path)

    assert response.status_code == 400
    assert "portal_customer_id" not in client.session


def test_redeem_follows_a_safe_next_only(customer: Customer) -> None:
    path = _request_link(Client(), "kim@example.com")

    response = Client().post(path, {"next": "https://evil.example/"})

    assert response["Location"] == reverse("portal:requests")


def test_sign_in_requests_are_rate_limited_per_address(customer: Customer) -> None:
    client = Client()
    for _ in range(SIGNIN_LIMIT_PER_ADDRESS):
        client.post(reverse("portal:signin"), {"email": "kim@example.com"})

    response = client.post(reverse("portal:signin"), {"email": "kim@example.com"})

    assert response.status_code == 429
    assert len(mail.outbox) == SIGNIN_LIMIT_PER_ADDRESS


def test_invalid_address_is_a_field_error(customer: Customer) -> None:
    response = Client().post(reverse("portal:signin"), {"email": "not an address"})

    assert response.status_code == 422
    assert "Enter a valid email address." in response.content.decode()
    assert mail.outbox == []


def test_sign_out_forgets_the_customer(customer_client: Client) -> None:
    response = customer_client.post(reverse("portal:signout"))

    assert response.status_code == 302
    assert "portal_customer_id" not in customer_client.session
    assert customer_client.get(reverse("portal:requests")).status_code == 302


def test_sign_out_needs_csrf(customer: Customer) -> None:
    client = Client(enforce_csrf_checks=True)
    session = client.session
    session["portal_customer_id"] = customer.pk
    session.save()

    response = client.post(reverse("portal:signout"))

    assert response.status_code == 403
    assert client.session["portal_customer_id"] == customer.pk
