from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_agent, create_team
from storedesk.conversations.enums import DeliveryStatus
from storedesk.conversations.models import Attachment, Conversation, ConversationEvent, Message
from storedesk.conversations.services.changes import conversation_set_priority
from storedesk.conversations.services.delivery import message_delivery_status_set
from storedesk.conversations.services.messages import MessageContent, message_reply, note_add
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.tests.factories import create_customer
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox


def _sequences(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-sequence="(\d+)"', html)]


@pytest.fixture
def conversation(email_inbox: Inbox) -> Conversation:
    return create_conversation(inbox=email_inbox, subject="Lamp broken")


@pytest.fixture
def outsider_client(db: None) -> Client:
    """An agent of a team that does not serve the conversation's inbox."""
    outsider = create_agent(username="olle")
    create_inbox(team=create_team(name="Elsewhere", members=[outsider]))
    client = Client()
    client.force_login(outsider)
    return client


def test_page_carries_the_live_update_contract(
    agent_client: Client, conversation: Conversation
) -> None:
    response = agent_client.get(reverse("conversations:detail", args=[conversation.number]))

    body = response.content.decode()
    assert response.status_code == 200
    assert (
        f'<div id="timeline" class="timeline" data-conversation-id="{conversation.pk}" '
        f'data-number="{conversation.number}" data-last-sequence="2"'
    ) in body
    assert '<div id="conversation-header"' in body
    assert '<div id="collision-notice" aria-live="polite"' in body
    assert 'data-text-viewing="{name} is also viewing"' in body
    assert body.count('data-presence="replying"') == 2
    assert "/static/js/live.js" in body
    assert _sequences(body) == [1, 2]


def test_timeline_after_returns_exactly_the_later_entries(
    agent_client: Client, agent: User, conversation: Conversation
) -> None:
    note_add(conversation=conversation, author=agent, content=MessageContent(text="Checked"))
    conversation_set_priority(conversation=conversation, priority="high", actor=agent)
    url = reverse("conversations:timeline", args=[conversation.number])

    after_two = agent_client.get(f"{url}?after=2").content.decode()
    after_four = agent_client.get(f"{url}?after=4").content.decode()

    assert _sequences(after_two) == [3, 4]
    assert "Checked" in after_two
    assert "Anna Berg changed priority from Normal to High" in after_two
    assert "<html" not in after_two
    assert _sequences(after_four) == []


def test_header_partial(agent_client: Client, conversation: Conversation) -> None:
    response = agent_client.get(reverse("conversations:header", args=[conversation.number]))

    assert response.content.decode().strip().startswith('<div id="conversation-header"')
    assert "HX-Trigger" not in response


def test_attachment_downloads_with_its_stored_type(
    agent_client: Client, agent: User, conversation: Conversation
) -> None:
    note_add(conversation=conversation, author=agent, content=MessageContent(
        text="Label", files=[SimpleUploadedFile("label.pdf", b"%PDF-1.4 x", "text/html")],
    ))
    attachment = Attachment.objects.get()

    response = agent_client.get(reverse("conversations:attachment", args=[attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="label.pdf"'
    assert b"".join(response.streaming_content) == b"%PDF-1.4 x"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name", ["detail", "timeline", "header"],
)
def test_other_team_gets_404_on_pages(
    outsider_client: Client, conversation: Conversation, name: str
) -> None:
    response = outsider_client.get(reverse(f"conversations:{name}", args=[conversation.number]))

    assert response.status_code == 404


def test_other_team_gets_404_on_attachments(
    outsider_client: Client, agent: User, conversation: Conversation
) -> None:
    note_add(conversation=conversation, author=agent, content=MessageContent(
        text="x", files=[SimpleUploadedFile("a.txt", b"secret")],
    ))

    response = outsider_client.get(
        reverse("conversations:attachment", args=[Attachment.objects.get().pk])
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("reply", {"text": "Hello"}),
        ("note", {"text": "Psst"}),
        ("status", {"status": "solved"}),
        ("priority", {"priority": "urgent"}),
        ("assignee", {"assignee": ""}),
        ("tags", {"tags": "x"}),
        ("snooze", {"preset": "hour"}),
        ("merge", {"target": "1"}),
        ("block", {}),
        ("restore", {}),
    ],
)
def test_other_team_gets_404_on_actions_and_nothing_is_written(
    outsider_client: Client, conversation: Conversation, name: str, data: dict[str, str]
) -> None:
    events_before = ConversationEvent.objects.count()

    response = outsider_client.post(
        reverse(f"conversations:{name}", args=[conversation.number]), data
    )

    assert response.status_code == 404
    assert Message.objects.count() == 1
    assert ConversationEvent.objects.count() == events_before
    conversation.refresh_from_db()
    assert (conversation.status, conversation.priority, conversation.snoozed_until) == (
        "new", "normal", None
    )
    assert conversation.customer.is_blocked is False


def test_header_and_sidebar_share_one_localized_date_time_format(
    agent_client: Client, agent: User, conversation: Conversation
) -> None:
    from datetime import UTC, datetime

    agent.language, agent.time_zone = "en", "UTC"
    agent.save()
    conversation.created_at = datetime(2030, 1, 2, 18, 39, tzinfo=UTC)
    conversation.snoozed_until = datetime(2030, 1, 3, 18, 39, tzinfo=UTC)
    conversation.save(update_fields=["created_at", "snoozed_until"])

    content = agent_client.get(
        reverse("conversations:detail", args=[conversation.number])
    ).content.decode()

    # English DATETIME_FORMAT ("N j, Y, P") in both places; no 24-hour "18:39" next to "6:39 p.m.".
    assert "Snoozed until Jan. 3, 2030, 6:39 p.m." in content
    assert "Jan. 2, 2030, 6:39 p.m." in content
    assert re.search(r"[^T]18:39", content) is None  # only in the machine-readable datetime=


def test_delivery_partial_follows_the_reply_status(
    agent_client: Client, outsider_client: Client, agent: User, conversation: Conversation
) -> None:
    reply = message_reply(
        conversation=conversation, author=agent, content=MessageContent(text="On its way")
    )
    url = reverse("conversations:delivery", args=[conversation.number])
    reply.refresh_from_db()
    queued = agent_client.get(url).content.decode()

    message_delivery_status_set(message_id=reply.pk, status=DeliveryStatus.FAILED)
    failed = agent_client.get(url).content.decode()

    assert f'id="delivery-{reply.sequence}"' in queued
    assert f"delivery--{reply.delivery_status}" in queued
    # Only replies carry a status: the customer's message and the events have none.
    assert queued.count('class="delivery ') == 1
    assert f'<span class="delivery delivery--failed" id="delivery-{reply.sequence}">' in failed
    assert outsider_client.get(url).status_code == 404


def test_cc_list_names_people_by_name_or_address(
    agent_client: Client, agent: User, conversation: Conversation
) -> None:
    create_customer(email="lena@example.com", name="Lena Holm")
    message_reply(
        conversation=conversation, author=agent,
        content=MessageContent(text="Copying you both", cc=["lena@example.com", "ops@example.com"]),
    )

    body = agent_client.get(reverse("conversations:detail", args=[conversation.number]))
    cc_list = re.search(r'<dd class="breakable cc-list">(.*?)</dd>', body.content.decode())

    assert cc_list is not None
    assert re.findall(r"<span>(.*?)</span>", cc_list.group(1)) == ["Lena Holm", "ops@example.com"]


def test_conversation_page_reads_a_fixed_number_of_queries(
    agent_client: Client, agent: User, conversation: Conversation,
    django_assert_max_num_queries: Any,
) -> None:
    """The page's round trips do not grow with its content (bench/inbox.py measures them)."""
    for n in range(3):
        note_add(conversation=conversation, author=agent, content=MessageContent(text=f"N{n}"))
    url = reverse("conversations:detail", args=[conversation.number])
    agent_client.get(url)  # fills the caches a page view shares with the next

    # Session user, visible inboxes, conversation, tags, identities, participants,
    # messages, events, previous/next, other conversations: no attachment query, no file.
    with django_assert_max_num_queries(10):
        assert agent_client.get(url).status_code == 200


def test_timeline_shows_each_messages_own_files_with_one_query_for_them(
    agent_client: Client, agent: User, conversation: Conversation,
    django_assert_max_num_queries: Any,
) -> None:
    for name in ("first.pdf", "second.pdf"):
        note_add(conversation=conversation, author=agent, content=MessageContent(
            text=f"With {name}", files=[SimpleUploadedFile(name, b"%PDF-1.4 x", "application/pdf")],
        ))
    note_add(conversation=conversation, author=agent, content=MessageContent(text="No file"))
    url = reverse("conversations:detail", args=[conversation.number])
    agent_client.get(url)

    with django_assert_max_num_queries(11):
        page = agent_client.get(url).content.decode()

    articles = re.findall(r'<article class="message.*?</article>', page, flags=re.S)
    names = [re.findall(r'attachment-name">(.*?)<', article) for article in articles[-3:]]
    assert names == [["first.pdf"], ["second.pdf"], []]
