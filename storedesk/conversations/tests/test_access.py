"""Who sees what, and that the cached answer follows team and inbox changes at once."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_team
from storedesk.conversations.tests.factories import create_conversation
from storedesk.inboxes.models import Inbox


def _listed(client: Client) -> list[int]:
    response = client.get(reverse("conversations:inbox"))
    return [c.number for c in response.context["page"].conversations]


def test_leaving_and_joining_a_team_changes_the_list_on_the_next_page(
    agent_client: Client, agent: User, email_inbox: Inbox
) -> None:
    conversation = create_conversation(inbox=email_inbox)
    team = email_inbox.team
    assert team is not None
    assert _listed(agent_client) == [conversation.number]

    team.members.remove(agent)
    assert _listed(agent_client) == []

    team.members.add(agent)
    assert _listed(agent_client) == [conversation.number]


def test_moving_an_inbox_to_another_team_hides_it_at_once(
    agent_client: Client, email_inbox: Inbox
) -> None:
    conversation = create_conversation(inbox=email_inbox)
    assert _listed(agent_client) == [conversation.number]

    email_inbox.team = create_team(name="Billing")
    email_inbox.save(update_fields=["team"])

    assert _listed(agent_client) == []
    assert agent_client.get(
        reverse("conversations:detail", args=[conversation.number])
    ).status_code == 404
