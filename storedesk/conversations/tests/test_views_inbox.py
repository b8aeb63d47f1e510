from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_agent, create_team
from storedesk.conversations.enums import EventType
from storedesk.conversations.models import Conversation, ConversationEvent, SavedView
from storedesk.conversations.selectors import COUNT_CAP
from storedesk.conversations.services.changes import (
    conversation_assign,
    conversation_set_tags,
    conversation_transition,
)
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.models import Customer
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox

INBOX_URL = "/conversations/"


def _numbers(client: Client, query: str = "") -> list[int]:
    response = client.get(f"{INBOX_URL}?{query}")
    assert response.status_code == 200
    return [c.number for c in response.context["page"].conversations]


def _bulk_conversations(inbox: Inbox, customer: Customer, count: int) -> None:
    """Rows straight into the table: enough volume for caps and pages without 1,000 services."""
    Conversation.objects.bulk_create(
        Conversation(
            number=50_000 + i, brand_id=inbox.brand_id, inbox=inbox, channel=inbox.channel,
            customer=customer, subject=f"Bulk {i}", status="open",
        )
        for i in range(count)
    )


@pytest.fixture
def three(email_inbox: Inbox, agent: User) -> list[Conversation]:
    """#1 open and mine, tagged vip; #2 open and unassigned, about a refund; #3 pending."""
    first = create_conversation(inbox=email_inbox, subject="Lamp broken")
    second = create_conversation(inbox=email_inbox, subject="Refund please", text="Money back")
    third = create_conversation(inbox=email_inbox, subject="Where is it")
    conversation_assign(conversation=first, assignee=agent, actor=agent)
    conversation_set_tags(conversation=first, names=["vip"], actor=agent)
    conversation_transition(conversation=third, status="pending", actor=agent)
    return [first, second, third]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [1, 0]),
        ("status=pending", [2]),
        ("status=all", [2, 1, 0]),
        ("assignee=me", [0]),
        ("assignee=unassigned", [1]),
        ("tag=vip", [0]),
        ("q=refund", [1]),
        ("q=money", [1]),
        ("status=all&sort=waiting", [0, 1, 2]),
    ],
)
def test_filters(
    agent_client: Client, three: list[Conversation], query: str, expected: list[int]
) -> None:
    assert _numbers(agent_client, query) == [three[i].number for i in expected]


def test_team_filter(agent_client: Client, agent: User, email_inbox: Inbox) -> None:
    other_team = create_team(name="Returns", members=[agent])
    returns = create_conversation(inbox=create_inbox(team=other_team), subject="Return")
    create_conversation(inbox=email_inbox)

    assert _numbers(agent_client, f"team={other_team.pk}") == [returns.number]


def test_other_teams_conversations_are_not_listed(agent_client: Client, email_inbox: Inbox) -> None:
    create_conversation(inbox=create_inbox(team=create_team()))
    mine = create_conversation(inbox=email_inbox)

    assert _numbers(agent_client, "status=all") == [mine.number]


def test_counts_per_view(agent_client: Client, three: list[Conversation]) -> None:
    response = agent_client.get(INBOX_URL)

    assert [(c.status, c.label) for c in response.context["counts"]] == [
        ("open", "2"), ("pending", "1"), ("on_hold", "0"), ("snoozed", "0"), ("solved", "0"),
    ]
    assert {k: v.label for k, v in response.context["shortcuts"].items()} == {
        "mine": "1", "unassigned": "1",
    }


def test_counts_are_capped(agent_client: Client, email_inbox: Inbox, customer: Customer) -> None:
    _bulk_conversations(email_inbox, customer, COUNT_CAP + 1)

    response = agent_client.get(INBOX_URL)

    open_count = response.context["counts"][0]
    assert (open_count.label, open_count.is_capped) == ("99+", True)
    assert '<span class="count">99+</span>' in response.content.decode()


def test_pages_without_counting(
    agent_client: Client, email_inbox: Inbox, customer: Customer
) -> None:
    _bulk_conversations(email_inbox, customer, 51)

    first = agent_client.get(INBOX_URL).context["page"]
    second = agent_client.get(f"{INBOX_URL}?page=2").context["page"]

    assert (len(first.conversations), first.has_next, first.has_previous) == (50, True, False)
    assert (len(second.conversations), second.has_next, second.has_previous) == (1, False, True)


def test_rows_show_the_last_message_snippet(
    agent_client: Client, three: list[Conversation]
) -> None:
    response = agent_client.get(INBOX_URL)

    snippets = [c.snippet for c in response.context["page"].conversations]
    assert snippets == ["Money back", "I ordered a lamp last week and it has not arrived."]


def test_htmx_list_request_returns_only_the_list(
    agent_client: Client, three: list[Conversation]
) -> None:
    response = agent_client.get(
        f"{INBOX_URL}?status=pending", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="conversation-list"
    )

    body = response.content.decode().strip()
    assert body.startswith('<div id="conversation-list"')
    assert f'data-number="{three[2].number}"' in body
    assert "<html" not in body


def test_bulk_assign_skips_what_the_agent_cannot_see(
    agent_client: Client, agent: User, three: list[Conversation]
) -> None:
    hidden = create_conversation(inbox=create_inbox(team=create_team()))

    response = agent_client.post(reverse("conversations:bulk"), {
        "numbers": [three[1].number, three[2].number, hidden.number],
        "action": "assign", "assignee": agent.pk, "query": "status=open",
    })

    assert response.status_code == 302
    assert response["Location"] == "/conversations/?status=open"
    assigned = Conversation.objects.filter(assignee=agent).values_list("number", flat=True)
    assert sorted(assigned) == sorted(c.number for c in three)
    hidden.refresh_from_db()
    assert hidden.assignee_id is None
    assert not ConversationEvent.objects.filter(conversation=hidden, type=EventType.ASSIGNED)


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        ({"action": "status", "status": "solved"}, "status", "solved"),
        ({"action": "spam"}, "status", "spam"),
    ],
)
def test_bulk_status(
    agent_client: Client, three: list[Conversation], data: dict[str, str], field: str,
    expected: str,
) -> None:
    agent_client.post(reverse("conversations:bulk"), {"numbers": [three[0].number], **data})

    three[0].refresh_from_db()
    assert getattr(three[0], field) == expected


def test_bulk_tag(agent_client: Client, three: list[Conversation]) -> None:
    agent_client.post(reverse("conversations:bulk"), {
        "numbers": [three[0].number, three[1].number], "action": "tag", "tag": "Refund",
    })

    assert sorted(three[0].tags.values_list("name", flat=True)) == ["refund", "vip"]
    assert list(three[1].tags.values_list("name", flat=True)) == ["refund"]


def test_bulk_without_a_value_changes_nothing(
    agent_client: Client, three: list[Conversation]
) -> None:
    agent_client.post(reverse("conversations:bulk"), {
        "numbers": [three[1].number], "action": "status",
    })

    three[1].refresh_from_db()
    assert three[1].status == "new"


def test_saved_views(agent_client: Client, agent: User) -> None:
    response = agent_client.post(reverse("conversations:saved_view_create"), {
        "name": "My VIPs", "query": "assignee=me&tag=vip&page=3&evil=1",
    })

    assert response.status_code == 302
    saved = SavedView.objects.get()
    assert (saved.owner_id, saved.name, saved.query) == (agent.pk, "My VIPs", "assignee=me&tag=vip")
    listed = agent_client.get(INBOX_URL).context["saved_views"]
    assert [view.name for view in listed] == ["My VIPs"]

    agent_client.post(reverse("conversations:saved_view_delete", args=[saved.pk]))

    assert not SavedView.objects.exists()


def test_saved_view_names_are_unique_per_agent(agent_client: Client, agent: User) -> None:
    url = reverse("conversations:saved_view_create")
    agent_client.post(url, {"name": "Mine", "query": "assignee=me"})
    agent_client.post(url, {"name": "Mine", "query": "assignee=unassigned"})

    assert list(SavedView.objects.values_list("query", flat=True)) == ["assignee=me"]


def test_someone_elses_saved_view_cannot_be_deleted(agent_client: Client) -> None:
    other = SavedView.objects.create(owner=create_agent(), name="Theirs", query="")

    agent_client.post(reverse("conversations:saved_view_delete", args=[other.pk]))

    assert SavedView.objects.get().pk == other.pk


def test_a_customer_without_name_or_address_is_listed_as_a_visitor(
    agent_client: Client, email_inbox: Inbox
) -> None:
    # Anonymous chat visitors: no name, no email identity; numbered to tell them apart.
    first, second = Customer.objects.create(), Customer.objects.create()
    for anonymous in (first, second):
        create_conversation(inbox=email_inbox, customer=anonymous, subject="Hello?")

    response = agent_client.get(INBOX_URL)

    assert response.status_code == 200
    names = re.findall(r'<span class="conv-customer"[^>]*>(.*?)</span>', response.content.decode())
    assert sorted(names) == sorted([f"Visitor {first.pk}", f"Visitor {second.pk}"])


def test_inbox_page_reads_a_fixed_number_of_queries(
    agent_client: Client, email_inbox: Inbox, customer: Customer,
    django_assert_max_num_queries: Any,
) -> None:
    """A full page of rows costs what an empty one does (bench/inbox.py measures them)."""
    _bulk_conversations(email_inbox, customer, 60)
    agent_client.get(INBOX_URL)  # fills the counts and filter choices a reload shares

    # Session user, visible inboxes, the page's rows, their tags, saved views.
    with django_assert_max_num_queries(5):
        response = agent_client.get(INBOX_URL)
    assert len(response.context["page"].conversations) == 50
