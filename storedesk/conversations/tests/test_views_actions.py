from __future__ import annotations

import json
import zoneinfo
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_agent, create_team
from storedesk.conversations.enums import EventType
from storedesk.conversations.models import Attachment, Conversation, ConversationEvent, Message
from storedesk.conversations.services.changes import conversation_transition
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.models import Customer
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox

if TYPE_CHECKING:  # a name only django-stubs defines
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

HTMX = {"HX-Request": "true"}


@pytest.fixture
def conversation(email_inbox: Inbox, customer: Customer) -> Conversation:
    return create_conversation(inbox=email_inbox, customer=customer, subject="Lamp broken")


def _post(
    client: Client, name: str, conversation: Conversation, data: Mapping[str, object]
) -> Response:
    url = reverse(f"conversations:{name}", args=[conversation.number])
    return client.post(url, data, headers=HTMX)


def test_reply_with_attachment_and_cc(
    agent_client: Client, agent: User, conversation: Conversation
) -> None:
    response = agent_client.post(
        reverse("conversations:reply", args=[conversation.number]),
        {"text": "It ships today.", "cc": "boss@example.com; partner@example.com",
         "attachments": [SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 r")]},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {
        "storedesk:timeline-changed": None, "storedesk:header-changed": None,
    }
    message = Message.objects.get(kind="outbound")
    assert (message.text, message.cc, message.author_user_id) == (
        "It ships today.", ["boss@example.com", "partner@example.com"], agent.pk,
    )
    attachment = Attachment.objects.get()
    assert (attachment.message_id, attachment.filename, attachment.size) == (
        message.pk, "receipt.pdf", 10,
    )
    assert sorted(
        conversation.participants.filter(role="cc").values_list(
            "customer__identities__value", flat=True
        )
    ) == ["boss@example.com", "partner@example.com"]
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee_id) == ("pending", agent.pk)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"text": ""}, "This field is required."),
        ({"text": "Hi", "cc": "not-an-address"}, "not-an-address is not an email address."),
    ],
)
def test_invalid_reply_returns_422_and_writes_nothing(
    agent_client: Client, conversation: Conversation, data: dict[str, str], error: str
) -> None:
    response = _post(agent_client, "reply", conversation, data)

    assert response.status_code == 422
    assert error in response.content.decode()
    assert Message.objects.count() == 1
    conversation.refresh_from_db()
    assert conversation.status == "new"


def test_reply_refuses_blocked_file_types(
    agent_client: Client, conversation: Conversation
) -> None:
    response = _post(agent_client, "reply", conversation, {
        "text": "Here", "attachments": [SimpleUploadedFile("run.exe", b"MZ")],
    })

    assert response.status_code == 422
    assert "run.exe is a file type that cannot be attached." in response.content.decode()
    assert (Message.objects.count(), Attachment.objects.count()) == (1, 0)


def test_reply_without_htmx_redirects(agent_client: Client, conversation: Conversation) -> None:
    response = agent_client.post(
        reverse("conversations:reply", args=[conversation.number]), {"text": "Hi"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/conversations/{conversation.number}/"


def test_note(agent_client: Client, agent: User, conversation: Conversation) -> None:
    response = _post(agent_client, "note", conversation, {"text": "VIP customer"})

    assert response.status_code == 200
    note = Message.objects.get(kind="note")
    assert (note.text, note.author_user_id) == ("VIP customer", agent.pk)
    conversation.refresh_from_db()
    assert conversation.status == "new"


def test_status_change(agent_client: Client, agent: User, conversation: Conversation) -> None:
    response = _post(agent_client, "status", conversation, {"status": "on_hold"})

    assert response.status_code == 200
    assert response["HX-Trigger"] == "storedesk:timeline-changed"
    assert response.context["conversation"].status == "on_hold"  # the header shows the change
    conversation.refresh_from_db()
    assert conversation.status == "on_hold"
    event = ConversationEvent.objects.get(type=EventType.STATUS_CHANGED)
    assert (event.actor_id, event.data) == (agent.pk, {"from": "new", "to": "on_hold"})


def test_invalid_transition_returns_422_and_writes_nothing(
    agent_client: Client, agent: User, conversation: Conversation
) -> None:
    conversation_transition(conversation=conversation, status="closed", actor=agent)
    events_before = ConversationEvent.objects.count()

    response = _post(agent_client, "status", conversation, {"status": "open"})

    assert response.status_code == 422
    assert "A conversation cannot go from Closed to Open." in response.content.decode()
    assert ConversationEvent.objects.count() == events_before
    conversation.refresh_from_db()
    assert conversation.status == "closed"


def test_priority_team_assignee_and_tags(
    agent_client: Client, agent: User, conversation: Conversation
) -> None:
    team = create_team(name="Returns")

    _post(agent_client, "priority", conversation, {"priority": "urgent"})
    _post(agent_client, "team", conversation, {"team": team.pk})
    _post(agent_client, "assignee", conversation, {"assignee": agent.pk})
    _post(agent_client, "tags", conversation, {"tags": "VIP, shipping, vip"})

    conversation.refresh_from_db()
    assert (conversation.priority, conversation.team_id, conversation.assignee_id) == (
        "urgent", team.pk, agent.pk,
    )
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["shipping", "vip"]


def test_assignee_must_serve_the_conversation(
    agent_client: Client, conversation: Conversation
) -> None:
    stranger = create_agent(username="stranger")
    create_inbox(team=create_team(members=[stranger]))

    response = _post(agent_client, "assignee", conversation, {"assignee": stranger.pk})

    assert response.status_code == 422
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_snooze_until_tomorrow_morning_in_the_agents_time_zone(
    agent_client: Client, agent: User, conversation: Conversation
) -> None:
    agent.time_zone = "Asia/Tokyo"
    agent.save()
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    tomorrow = timezone.now().astimezone(tokyo).date() + timedelta(days=1)

    response = _post(agent_client, "snooze", conversation, {"preset": "tomorrow"})

    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.snoozed_until == datetime.combine(tomorrow, time(9, 0), tzinfo=tokyo)
    assert ConversationEvent.objects.filter(type=EventType.SNOOZED).count() == 1


def test_snooze_in_the_past_returns_422(
    agent_client: Client, conversation: Conversation
) -> None:
    response = _post(agent_client, "snooze", conversation, {
        "preset": "custom", "until": "2001-01-01T09:00",
    })

    assert response.status_code == 422
    assert "Snooze until a time in the future." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.snoozed_until is None


def test_merge(agent_client: Client, email_inbox: Inbox, conversation: Conversation) -> None:
    target = create_conversation(inbox=email_inbox, subject="Older thread")

    response = _post(agent_client, "merge", conversation, {"target": target.number})

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/conversations/{target.number}/"
    conversation.refresh_from_db()
    assert (conversation.merged_into_id, conversation.status) == (target.pk, "closed")
    assert target.messages.count() == 2


def test_merge_into_an_invisible_conversation_is_refused(
    agent_client: Client, conversation: Conversation
) -> None:
    hidden = create_conversation(inbox=create_inbox(team=create_team()))

    response = _post(agent_client, "merge", conversation, {"target": hidden.number})

    assert response.status_code == 422
    assert f"There is no conversation #{hidden.number}." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.merged_into_id is None
    assert hidden.messages.count() == 1


def test_block_then_restore(
    agent_client: Client, conversation: Conversation, customer: Customer
) -> None:
    _post(agent_client, "status", conversation, {"status": "open"})

    _post(agent_client, "block", conversation, {})

    conversation.refresh_from_db()
    customer.refresh_from_db()
    assert (conversation.status, customer.is_blocked) == ("spam", True)

    _post(agent_client, "restore", conversation, {})

    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_csrf_is_enforced(agent: User, conversation: Conversation) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post(
        reverse("conversations:status", args=[conversation.number]), {"status": "solved"}
    )

    assert response.status_code == 403
    conversation.refresh_from_db()
    assert conversation.status == "new"
