"""The branded 404 and 500 pages (storedesk/templates/404.html, 500.html)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

from storedesk.conversations.tests.factories import create_conversation
from storedesk.inboxes.models import Inbox

pytestmark = pytest.mark.django_db


def test_portal_404_links_to_the_help_centre_in_the_customers_language(
    web_form_inbox: Inbox, customer_client: Client
) -> None:
    theirs = create_conversation(inbox=web_form_inbox)

    response = customer_client.get(
        reverse("portal:request_detail", kwargs={"number": theirs.number}),
        headers={"accept-language": "sv"},
    )

    content = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="sv">' in content
    assert "Sidan hittades inte" in content
    assert f'href="{reverse("portal:home")}"' in content
    assert theirs.subject not in content


def test_agent_404_links_to_the_inbox(agent_client: Client) -> None:
    response = agent_client.get("/conversations/no-such-page/")

    content = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in content
    assert f'href="{reverse("conversations:inbox")}"' in content


def test_500_renders_without_a_request_context() -> None:
    request = RequestFactory().get("/portal/requests/1/")
    with translation.override("ru"):
        response = server_error(request)

    content = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="ru">' in content
    assert "Что-то пошло не так" in content
    assert 'href="/portal/"' in content
    assert 'href="/"' in content


def test_signed_out_404_offers_both_ways_home(db: None, client: Client) -> None:
    response = client.get("/no-such-page/")

    content = response.content.decode()
    assert response.status_code == 404
    assert f'href="{reverse("portal:home")}"' in content
    assert 'href="/"' in content
