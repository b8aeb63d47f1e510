"""The agents' HTTP fallback: send (idempotent) and read a chat; other teams get 404."""

from __future__ import annotations

import pytest
from django.test import Client

from storedesk.accounts.models import Team, User
from storedesk.accounts.tests.factories import create_team
from storedesk.chat.enums import ChatState
from storedesk.chat.models import Chat, ChatWidget
from storedesk.chat.services import chat_start, visitor_token
from storedesk.chat.tests.factories import create_online_agent, create_visitor
from storedesk.conversations.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(team: Team) -> User:
    return create_online_agent(team, username="anna")


@pytest.fixture
def chat(widget: ChatWidget, agent: User) -> Chat:
    return chat_start(session=create_visitor(widget), text="Hello", client_id="first")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_retried_agent_send_stores_one_message(chat: Chat, agent: User) -> None:
    client, url = _client(agent), f"/chat/agent/{chat.pk}/messages"
    data = {"client_id": "a-1", "text": "Hi, I can help"}

    first = client.post(url, data, content_type="application/json").json()
    again = client.post(url, data, content_type="application/json").json()

    assert (first["created"], again["created"]) == (True, False)
    assert first["sequence"] == again["sequence"]
    assert Message.objects.filter(text__startswith="Hi, I can help").count() == 1
    assert Chat.objects.get(pk=chat.pk).state == ChatState.ACTIVE
    entries = client.get(url, {"after": 0}).json()["entries"]
    texts = [(e["author"], e["text"]) for e in entries if e["kind"] == "message"]
    assert texts == [("visitor", "Hello"), ("agent", "Hi, I can help")]


def test_a_note_never_reaches_the_visitor(chat: Chat, agent: User) -> None:
    client, url = _client(agent), f"/chat/agent/{chat.pk}/messages"
    client.post(
        url, {"client_id": "n-1", "text": "VIP", "note": True}, content_type="application/json"
    )
    assert [e["kind"] for e in client.get(url, {"after": 0}).json()["entries"]][-1] == "note"

    headers = {"X-Chat-Token": visitor_token(chat.visitor)}
    seen = Client().get(f"/chat/api/{chat.widget.key}/messages", headers=headers).json()
    assert [e["text"] for e in seen["entries"]] == ["Hello"]


def test_agents_of_other_teams_get_404(chat: Chat) -> None:
    outsider = create_online_agent(create_team(name="Elsewhere"), username="eve")
    client, url = _client(outsider), f"/chat/agent/{chat.pk}/messages"
    assert client.get(url).status_code == 404
    assert (
        client.post(
            url, {"client_id": "x", "text": "hi"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert Message.objects.filter(conversation_id=chat.pk).count() == 1


def test_signed_out_is_sent_to_sign_in(chat: Chat) -> None:
    response = Client().get(f"/chat/agent/{chat.pk}/messages")
    assert response.status_code == 302
