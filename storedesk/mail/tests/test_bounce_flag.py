"""A bounce flags the customer's address; new mail from it or an agent clears the flag."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_agent
from storedesk.conversations.models import Conversation
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.models import Customer, CustomerIdentity
from storedesk.customers.services import customer_email_bounce_clear, customer_email_bounce_flag
from storedesk.inboxes.models import Inbox
from storedesk.mail.models import OutboundEmail
from storedesk.mail.tests.factories import (
    create_outbound_email,
    make_dsn,
    make_raw_email,
    receive_and_process,
)

pytestmark = pytest.mark.django_db


def _identity(email: str = "kim@example.com") -> CustomerIdentity:
    return CustomerIdentity.objects.get(value=email)


@pytest.fixture
def conversation(email_inbox: Inbox, customer: Customer) -> Conversation:
    return create_conversation(inbox=email_inbox, customer=customer)


def _bounce_acknowledgement(conversation: Conversation) -> OutboundEmail:
    # No Message: an acknowledgement; the customer is flagged all the same.
    outbound = create_outbound_email(
        conversation=conversation, header_message_id="<ack-1@storedesk.invalid>"
    )
    receive_and_process(make_dsn(original_message_id="<ack-1@storedesk.invalid>"))
    return outbound


def test_bounce_flags_the_address_with_reason(conversation: Conversation) -> None:
    _bounce_acknowledgement(conversation)

    identity = _identity()
    assert identity.bounced_at is not None
    assert identity.bounce_reason == "550 5.1.1 user unknown"


def test_bounce_of_mail_not_ours_flags_nobody(conversation: Conversation) -> None:
    receive_and_process(make_dsn(original_message_id="<someone-else@example.net>"))

    assert _identity().bounced_at is None


def test_mail_from_the_address_clears_the_flag(conversation: Conversation) -> None:
    _bounce_acknowledgement(conversation)

    receive_and_process(make_raw_email(from_="Kim Lee <Kim@Example.com>"))

    identity = _identity()
    assert (identity.bounced_at, identity.bounce_reason) == (None, "")


def test_flag_falls_back_to_the_address_we_sent_to() -> None:
    customer = Customer.objects.create(name="Kim")
    CustomerIdentity.objects.create(customer=customer, kind="email", value="kim@example.com")

    identity = customer_email_bounce_flag(
        emails=["forwarded@elsewhere.example", "KIM@example.com"], reason="5.2.2  mailbox\nfull"
    )

    assert identity is not None
    assert identity.value == "kim@example.com"
    assert _identity().bounce_reason == "5.2.2 mailbox full"
    assert customer_email_bounce_clear(email="kim@example.com") is True
    assert customer_email_bounce_clear(email="kim@example.com") is False


def test_sidebar_shows_the_flag_and_an_agent_clears_it(
    conversation: Conversation, agent_client: Client
) -> None:
    _bounce_acknowledgement(conversation)
    detail = reverse("conversations:detail", args=[conversation.number])

    page = agent_client.get(detail).content.decode()
    assert "Mail to this address bounced: 550 5.1.1 user unknown," in page

    identity = _identity()
    url = reverse("mail:bounce_clear", args=[conversation.number, identity.pk])
    response = agent_client.post(url)

    assert response.status_code == 302
    assert response["Location"] == detail
    assert _identity().bounced_at is None
    assert "Mail to this address bounced" not in agent_client.get(detail).content.decode()


def test_agent_without_access_cannot_clear(conversation: Conversation) -> None:
    _bounce_acknowledgement(conversation)
    outsider = Client()
    outsider.force_login(create_agent(username="outsider"))
    url = reverse("mail:bounce_clear", args=[conversation.number, _identity().pk])

    assert outsider.post(url).status_code == 404
    assert _identity().bounced_at is not None


def test_identity_of_another_customer_is_not_found(
    conversation: Conversation, agent_client: Client, agent: User
) -> None:
    other = Customer.objects.create(name="Other")
    stranger = CustomerIdentity.objects.create(
        customer=other, kind="email", value="other@example.com"
    )
    customer_email_bounce_flag(emails=["other@example.com"], reason="5.1.1")
    url = reverse("mail:bounce_clear", args=[conversation.number, stranger.pk])

    assert agent_client.post(url).status_code == 404
    assert _identity("other@example.com").bounced_at is not None
