from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from storedesk.accounts.models import User
from storedesk.conversations.models import Conversation
from storedesk.conversations.services.messages import MessageContent, message_reply, note_add
from storedesk.conversations.status_links import status_token_make
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.models import Customer
from storedesk.customers.services import customer_get_or_create_by_email
from storedesk.inboxes.models import Inbox

pytestmark = pytest.mark.django_db


def _status(token: str) -> str:
    return reverse("portal:status", kwargs={"token": token})


def test_status_link_works_signed_out(
    web_form_inbox: Inbox, customer: Customer, agent: User
) -> None:
    conversation = create_conversation(inbox=web_form_inbox, customer=customer, subject="Lamp")
    message_reply(conversation=conversation, author=agent, content=MessageContent(text="Shipped"))
    note_add(conversation=conversation, author=agent, content=MessageContent(text="INTERNAL"))

    response = Client().get(_status(status_token_make(conversation)))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Lamp" in content
    assert "Shipped" in content
    assert "Awaiting your reply" in content
    assert "INTERNAL" not in content
    assert "Sign in to reply" in content


@pytest.mark.parametrize("token", ["forged", "W1sxMDAxLDFdXQ:1abc:deadbeef"])
def test_forged_token_is_404(web_form_inbox: Inbox, customer: Customer, token: str) -> None:
    create_conversation(inbox=web_form_inbox, customer=customer)

    assert Client().get(_status(token)).status_code == 404


def test_token_for_another_customer_is_404(web_form_inbox: Inbox, customer: Customer) -> None:
    conversation = create_conversation(inbox=web_form_inbox, customer=customer)
    other = customer_get_or_create_by_email(email="other@example.com")
    forged = Conversation(number=conversation.number, customer_id=other.pk)

    assert Client().get(_status(status_token_make(forged))).status_code == 404


def test_language_follows_query_and_is_remembered(
    web_form_inbox: Inbox, customer: Customer
) -> None:
    conversation = create_conversation(inbox=web_form_inbox, customer=customer)
    client = Client()

    first = client.get(_status(status_token_make(conversation)) + "?lang=sv")
    second = client.get(reverse("portal:signin"))

    assert '<html lang="sv">' in first.content.decode()
    assert client.session["portal_language"] == "sv"
    assert '<html lang="sv">' in second.content.decode()


def test_language_switcher_stores_choice(web_form_inbox: Inbox) -> None:
    client = Client()

    response = client.post(
        reverse("portal:language"), {"language": "ru", "next": reverse("portal:signin")}
    )

    assert response["Location"] == reverse("portal:signin")
    assert client.session["portal_language"] == "ru"
    assert '<html lang="ru">' in client.get(reverse("portal:signin")).content.decode()


def test_browser_language_is_used_without_a_choice(web_form_inbox: Inbox) -> None:
    response = Client().get(reverse("portal:signin"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    assert '<html lang="zh-hans">' in response.content.decode()
