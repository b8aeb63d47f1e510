"""The agent chat console (/chat/console/): pages, partials and the actions behind them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from storedesk.accounts.enums import AgentStatus
from storedesk.accounts.models import Team, User
from storedesk.accounts.tests.factories import create_agent, create_team
from storedesk.brands.tests.factories import create_brand
from storedesk.chat.enums import ChatState
from storedesk.chat.models import CannedReply, Chat, ChatWidget
from storedesk.chat.services import (
    PageView,
    agent_availability_set,
    chat_end,
    chat_start,
    visitor_session_start,
)
from storedesk.conversations.enums import ConversationStatus
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.services.messages import MessageContent, conversation_open
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.tests.factories import create_inbox

_visitors = itertools.count(1)


@dataclass
class Desk:
    team: Team
    widget: ChatWidget
    agent: User
    client: Client


@pytest.fixture
def desk(db: None) -> Desk:
    team = create_team(name="Chat team")
    inbox = create_inbox(brand=create_brand(), team=team, name="Shop chat", channel=Channel.CHAT)
    widget = ChatWidget.objects.create(inbox=inbox, allowed_origins=["https://shop.example"])
    agent = create_agent(username="sam", display_name="Sam Agent")
    team.members.add(agent)
    client = Client()
    client.force_login(agent)
    return Desk(team=team, widget=widget, agent=agent, client=client)


def visitor_chat(desk: Desk, *, name: str = "", pages: tuple[str, ...] = ()) -> Chat:
    n = next(_visitors)
    session = visitor_session_start(widget=desk.widget)
    for url in pages:
        session = visitor_session_start(
            widget=desk.widget, session=session, page=PageView(url=url, title=f"Title {url}")
        )
    return chat_start(
        session=session, text=f"Hello {n}", client_id=f"visitor-{n}",
        name=name or f"Visitor {n}", email=f"visitor{n}@example.com",
    )


def online(agent: User) -> None:
    agent_availability_set(agent=agent, status=AgentStatus.ONLINE)


def test_console_requires_an_agent_session(desk: Desk) -> None:
    response = Client().get(reverse("chat_console:console"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_console_shows_seats_chats_and_queue(desk: Desk) -> None:
    desk.agent.chat_capacity = 1
    desk.agent.save(update_fields=["chat_capacity"])
    online(desk.agent)
    seated = visitor_chat(desk, name="Alma Seated")
    waiting = visitor_chat(desk, name="Bo Waiting")

    response = desk.client.get(reverse("chat_console:console"))

    assert response.status_code == 200
    assert response.context["seats"] == {
        "id": desk.agent.pk, "status": "online", "capacity": 1, "active": 1,
    }
    assert [c["conversation"] for c in response.context["chats"]] == [seated.pk]
    assert [(r["conversation"], r["position"]) for r in response.context["queue"]] == [
        (waiting.pk, 1)
    ]
    html = response.content.decode()
    assert "Alma Seated" in html
    assert "Bo Waiting" in html
    assert 'value="online" checked' in html


def test_status_online_takes_the_oldest_waiting_chat(desk: Desk) -> None:
    other = create_agent(username="other")
    desk.team.members.add(other)
    online(other)
    other.chat_capacity = 1
    other.save(update_fields=["chat_capacity"])
    visitor_chat(desk)  # seated with `other`
    waiting = visitor_chat(desk)

    response = desk.client.post(reverse("chat_console:status"), {"status": "online"})

    assert response.status_code == 200
    desk.agent.refresh_from_db()
    assert desk.agent.status == AgentStatus.ONLINE
    waiting.refresh_from_db()
    assert (waiting.state, waiting.agent_id) == (ChatState.ASSIGNED, desk.agent.pk)
    assert [c["conversation"] for c in response.context["chats"]] == [waiting.pk]


@pytest.mark.parametrize("value", ["busy", "", "<script>"])
def test_status_refuses_unknown_values(desk: Desk, value: str) -> None:
    response = desk.client.post(reverse("chat_console:status"), {"status": value})

    assert response.status_code == 422
    desk.agent.refresh_from_db()
    assert desk.agent.status == AgentStatus.OFFLINE
    assert response.context["status_error"]


def test_pane_and_context_of_a_chat(desk: Desk) -> None:
    online(desk.agent)
    chat = visitor_chat(
        desk, name="Kim <b>Lee</b>",
        pages=("https://shop.example/", "https://shop.example/cart"),
    )
    earlier = conversation_open(
        inbox=create_inbox(team=desk.team), customer=chat.conversation.customer,
        subject="Earlier question", content=MessageContent(text="Where is my order?"),
    )

    pane = desk.client.get(reverse("chat_console:pane", args=[chat.pk]))
    context = desk.client.get(reverse("chat_console:context", args=[chat.pk]))

    assert pane.status_code == 200
    html = pane.content.decode()
    assert f'id="chat-{chat.pk}"' in html
    assert "Kim &lt;b&gt;Lee&lt;/b&gt;" in html  # visitor input shown as text
    assert "<b>Lee</b>" not in html
    assert context.status_code == 200
    assert context.context["context"].current_url == "https://shop.example/cart"
    assert [p["url"] for p in context.context["pages_newest_first"]] == [
        "https://shop.example/cart", "https://shop.example/",
    ]
    assert f"#{earlier.number}" in context.content.decode()
    assert "Earlier question" in context.content.decode()


def test_chats_of_other_teams_are_not_found(desk: Desk) -> None:
    online(desk.agent)
    chat = visitor_chat(desk)
    stranger = create_agent(username="stranger")
    create_team(name="Elsewhere", members=[stranger])
    client = Client()
    client.force_login(stranger)

    for name in ("pane", "context"):
        assert client.get(reverse(f"chat_console:{name}", args=[chat.pk])).status_code == 404
    for name in ("end", "transfer", "transcript"):
        url = reverse(f"chat_console:{name}", args=[chat.pk])
        assert client.post(url, {"email": "x@example.com", "team": desk.team.pk}).status_code == 404
    chat.refresh_from_db()
    assert (chat.state, chat.agent_id) == (ChatState.ASSIGNED, desk.agent.pk)
    assert mail.outbox == []


def test_end_frees_the_seat_for_the_next_chat(desk: Desk) -> None:
    desk.agent.chat_capacity = 1
    desk.agent.save(update_fields=["chat_capacity"])
    online(desk.agent)
    first = visitor_chat(desk)
    second = visitor_chat(desk)

    response = desk.client.post(reverse("chat_console:end", args=[first.pk]))

    assert response.status_code == 204
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == ChatState.ENDED
    assert Conversation.objects.get(pk=first.pk).status == ConversationStatus.SOLVED
    assert (second.state, second.agent_id) == (ChatState.ASSIGNED, desk.agent.pk)
    # Ending again changes nothing.
    assert desk.client.post(reverse("chat_console:end", args=[first.pk])).status_code == 204


def test_transfer_to_a_team_queues_the_chat_there(desk: Desk) -> None:
    online(desk.agent)
    chat = visitor_chat(desk)
    billing = create_team(name="Billing")

    response = desk.client.post(
        reverse("chat_console:transfer", args=[chat.pk]), {"team": billing.pk}
    )

    assert response.status_code == 200
    assert response.context["transferred"] is True
    chat.refresh_from_db()
    assert (chat.state, chat.team_id, chat.agent_id) == (ChatState.QUEUED, billing.pk, None)


def test_transfer_to_an_online_agent(desk: Desk) -> None:
    online(desk.agent)
    chat = visitor_chat(desk)
    colleague = create_agent(username="colleague")
    desk.team.members.add(colleague)
    online(colleague)

    response = desk.client.post(
        reverse("chat_console:transfer", args=[chat.pk]), {"agent": colleague.pk}
    )

    assert response.status_code == 200
    chat.refresh_from_db()
    assert chat.agent_id == colleague.pk


@pytest.mark.parametrize("data", [{}, {"agent": "1", "team": "1"}, {"team": "999999"}])
def test_transfer_refuses_bad_input_and_changes_nothing(desk: Desk, data: dict[str, str]) -> None:
    online(desk.agent)
    chat = visitor_chat(desk)
    if data.get("agent"):
        data = {"agent": str(desk.agent.pk), "team": str(desk.team.pk)}

    response = desk.client.post(reverse("chat_console:transfer", args=[chat.pk]), data)

    assert response.status_code == 422
    chat.refresh_from_db()
    assert (chat.state, chat.team_id, chat.agent_id) == (
        ChatState.ASSIGNED, desk.team.pk, desk.agent.pk,
    )


def test_transfer_of_an_ended_chat_is_refused(desk: Desk) -> None:
    online(desk.agent)
    chat = visitor_chat(desk)
    chat_end(chat=chat, actor=desk.agent)

    response = desk.client.post(
        reverse("chat_console:transfer", args=[chat.pk]), {"team": desk.team.pk}
    )

    assert response.status_code == 422
    assert "ended" in response.content.decode()


def test_transcript_is_mailed_to_the_given_address(
    desk: Desk, django_capture_on_commit_callbacks: Any
) -> None:
    online(desk.agent)
    chat = visitor_chat(desk)

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.client.post(
            reverse("chat_console:transcript", args=[chat.pk]), {"email": "kim@example.com"}
        )

    assert response.status_code == 200
    assert response.context["transcript_sent"] == "kim@example.com"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kim@example.com"]
    first = Message.objects.filter(conversation_id=chat.pk).order_by("sequence").first()
    assert first is not None
    assert first.text in mail.outbox[0].body


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b.c\nBcc: x@evil.example"])
def test_transcript_refuses_bad_addresses(
    desk: Desk, email: str, django_capture_on_commit_callbacks: Any
) -> None:
    online(desk.agent)
    chat = visitor_chat(desk)

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.client.post(
            reverse("chat_console:transcript", args=[chat.pk]), {"email": email}
        )

    assert response.status_code == 422
    assert mail.outbox == []


def test_workspace_links_to_the_console(desk: Desk) -> None:
    response = desk.client.get(reverse("conversations:inbox"))

    assert f'href="{reverse("chat_console:console")}"' in response.content.decode()


def test_capacity_added_takes_a_waiting_chat(desk: Desk) -> None:
    desk.agent.chat_capacity = 1
    desk.agent.save(update_fields=["chat_capacity"])
    online(desk.agent)
    visitor_chat(desk)
    waiting = visitor_chat(desk)

    response = desk.client.post(reverse("chat_console:capacity"), {"capacity": "2"})

    assert response.status_code == 200
    assert response.context["seats"]["capacity"] == 2
    waiting.refresh_from_db()
    assert (waiting.state, waiting.agent_id) == (ChatState.ASSIGNED, desk.agent.pk)


@pytest.mark.parametrize("value", ["0", "11", "-1", "three", ""])
def test_capacity_outside_one_to_ten_is_refused(desk: Desk, value: str) -> None:
    response = desk.client.post(reverse("chat_console:capacity"), {"capacity": value})

    assert response.status_code == 422
    desk.agent.refresh_from_db()
    assert desk.agent.chat_capacity == 3


def test_canned_replies_of_the_agents_teams_are_offered(desk: Desk) -> None:
    CannedReply.objects.create(title="Greeting", text="Hi! How can I help?", shortcut="hi")
    CannedReply.objects.create(team=desk.team, title="Returns", text="Returns take 30 days.")
    CannedReply.objects.create(team=create_team(name="Other"), title="Secret", text="Not yours")

    response = desk.client.get(reverse("chat_console:console"))

    assert [r["title"] for r in response.context["canned_data"]] == ["Greeting", "Returns"]
    assert response.context["canned_data"][0] == {
        "title": "Greeting", "text": "Hi! How can I help?", "shortcut": "hi",
    }


def test_canned_reply_is_added_for_the_agents_team(desk: Desk) -> None:
    response = desk.client.post(reverse("chat_console:canned_create"), {
        "title": "Shipping", "text": "We ship within 24 hours.", "shortcut": "ship",
        "team": desk.team.pk,
    })

    assert response.status_code == 302
    reply = CannedReply.objects.get()
    assert (reply.title, reply.text, reply.shortcut, reply.team_id) == (
        "Shipping", "We ship within 24 hours.", "ship", desk.team.pk,
    )


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "text": "x"},
        {"title": "x", "text": ""},
        {"title": "x", "text": "y", "shortcut": "not a slug!"},
        {"title": "x", "text": "y", "shortcut": "hi"},  # taken
        {"title": "x", "text": "y", "team": "other"},  # not the agent's team
    ],
)
def test_canned_reply_refuses_bad_input(desk: Desk, data: dict[str, str]) -> None:
    CannedReply.objects.create(title="Greeting", text="Hi!", shortcut="hi")
    if data.get("team") == "other":
        data = {**data, "team": str(create_team(name="Other").pk)}

    response = desk.client.post(reverse("chat_console:canned_create"), data)

    assert response.status_code == 422
    assert CannedReply.objects.count() == 1
