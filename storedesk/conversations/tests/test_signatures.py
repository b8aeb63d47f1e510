"""Reply signatures: message_reply appends the agent's signature, else the inbox's."""

from __future__ import annotations

import pytest
from django.core import mail

from storedesk.accounts.models import User
from storedesk.conversations.models import Conversation
from storedesk.conversations.search import conversation_search_filter
from storedesk.conversations.services.messages import MessageContent, message_reply
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.models import Customer
from storedesk.inboxes.models import Inbox

pytestmark = pytest.mark.django_db


def _reply(*, inbox: Inbox, customer: Customer, agent: User, text: str) -> str:
    conversation = create_conversation(inbox=inbox, customer=customer)
    return message_reply(
        conversation=conversation, author=agent, content=MessageContent(text=text)
    ).text


def test_reply_is_signed_with_the_agents_signature(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    agent.signature = "Anna Berg\r\nNordic Lamps support\n"
    agent.save()
    email_inbox.signature = "Nordic Lamps customer service"
    email_inbox.save()
    conversation = create_conversation(inbox=email_inbox, customer=customer)

    reply = message_reply(
        conversation=conversation, author=agent, content=MessageContent(text="On its way!\n")
    )

    assert reply.text == "On its way!\n\n-- \nAnna Berg\nNordic Lamps support"
    assert reply.html == "<p>On its way!</p><p>-- <br>Anna Berg<br>Nordic Lamps support</p>"
    searched = conversation_search_filter(Conversation.objects.all(), "Anna Berg")
    assert not searched.exists()  # only the agent's own words are searchable


def test_inbox_signature_is_the_fallback(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    agent.signature = "  "
    agent.save()
    email_inbox.signature = "Nordic Lamps customer service"
    email_inbox.save()

    text = _reply(inbox=email_inbox, customer=customer, agent=agent, text="Refunded.")

    assert text == "Refunded.\n\n-- \nNordic Lamps customer service"


def test_no_signature_leaves_the_text_unchanged(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    assert (agent.signature, email_inbox.signature) == ("", "")

    text = _reply(inbox=email_inbox, customer=customer, agent=agent, text="Refunded.\n")

    assert text == "Refunded.\n"


def test_text_already_ending_with_the_signature_is_not_signed_twice(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    agent.signature = "Anna Berg"
    agent.save()

    signed = "Refunded.\r\n\r\n-- \r\nAnna Berg\r\n"  # as a browser's textarea sends it

    text = _reply(inbox=email_inbox, customer=customer, agent=agent, text=signed)

    assert text == signed


def test_callers_own_html_gets_the_signature_too(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    agent.signature = "Anna"
    agent.save()
    conversation = create_conversation(inbox=email_inbox, customer=customer)

    reply = message_reply(
        conversation=conversation,
        author=agent,
        content=MessageContent(text="Hi", html="<p><b>Hi</b></p>"),
    )

    assert reply.text == "Hi\n\n-- \nAnna"
    assert reply.html == "<p><b>Hi</b></p><p>-- <br>Anna</p>"


def test_customers_notification_mail_carries_the_signature(
    email_inbox: Inbox, customer: Customer, agent: User, django_capture_on_commit_callbacks: object
) -> None:
    agent.signature = "Anna Berg, Nordic Lamps"
    agent.save()
    conversation = create_conversation(inbox=email_inbox, customer=customer)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        message_reply(
            conversation=conversation, author=agent, content=MessageContent(text="On its way!")
        )

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kim@example.com"]
    assert "On its way!\n\n-- \nAnna Berg, Nordic Lamps\n" in mail.outbox[0].body
