"""Chat lines on the conversation: status, delivery and retries (what the unified inbox sees)."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from storedesk.accounts.models import Team, User
from storedesk.chat.enums import ChatState
from storedesk.chat.errors import ChatError
from storedesk.chat.models import Chat, ChatWidget
from storedesk.chat.services import (
    SendResult,
    chat_end,
    chat_message_send_agent,
    chat_message_send_visitor,
    chat_start,
)
from storedesk.chat.tests.factories import create_online_agent, create_visitor
from storedesk.conversations.enums import ConversationStatus, DeliveryStatus, EventType
from storedesk.conversations.models import ConversationEvent, Message
from storedesk.conversations.services.messages import MessageContent, message_reply

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def agent(team: Team) -> User:
    return create_online_agent(team, capacity=3, username="anna")


@pytest.fixture
def chat(widget: ChatWidget, agent: User, settings: Settings) -> Chat:
    # Delivery tasks as rows, as in production, so a queued one can be counted.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return chat_start(session=create_visitor(widget), text="Where is my order?", client_id="v0")


def fresh(chat: Chat) -> Chat:
    return Chat.objects.select_related("conversation__customer", "agent", "widget").get(pk=chat.pk)


def status_changes(chat: Chat) -> list[tuple[str, str]]:
    events = ConversationEvent.objects.filter(
        conversation_id=chat.pk, type=EventType.STATUS_CHANGED
    ).order_by("sequence")
    return [(event.data["from"], event.data["to"]) for event in events]


def test_a_chat_stays_open_while_both_sides_write_and_is_solved_at_the_end(
    chat: Chat, agent: User
) -> None:
    for n in range(3):
        chat_message_send_agent(chat=fresh(chat), agent=agent, text=f"Reply {n}", client_id=f"a{n}")
        chat_message_send_visitor(chat=fresh(chat), text=f"Line {n}", client_id=f"v{n + 1}")

    conversation = fresh(chat).conversation
    assert conversation.status == ConversationStatus.OPEN
    # One change when the agent first answers, none per line after it.
    assert status_changes(chat) == [("new", "open")]
    assert fresh(chat).state == ChatState.ACTIVE

    chat_end(chat=fresh(chat), actor=agent)
    assert fresh(chat).conversation.status == ConversationStatus.SOLVED
    assert status_changes(chat) == [("new", "open"), ("open", "solved")]


def test_chat_replies_are_sent_by_the_socket_without_a_delivery_task(
    chat: Chat, agent: User
) -> None:
    sent = chat_message_send_agent(chat=fresh(chat), agent=agent, text="Hi", client_id="a1")

    assert sent.message.delivery_status == DeliveryStatus.SENT
    assert Message.objects.get(pk=sent.message.pk).delivery_status == DeliveryStatus.SENT
    assert DBTaskResult.objects.count() == 0
    # A reply written in the workspace goes through the channel adapter's task as before.
    message_reply(conversation=fresh(chat).conversation, author=agent, content=MessageContent("Hi"))
    assert DBTaskResult.objects.count() == 1


def test_retried_sends_return_the_first_message_on_both_sides(chat: Chat, agent: User) -> None:
    first = chat_message_send_agent(chat=fresh(chat), agent=agent, text="Hi", client_id="same")
    again = chat_message_send_agent(chat=fresh(chat), agent=agent, text="Hi!", client_id="same")
    mine = chat_message_send_visitor(chat=fresh(chat), text="Hello", client_id="same")
    mine_again = chat_message_send_visitor(chat=fresh(chat), text="Hello", client_id="same")

    assert (first.created, again.created) == (True, False)
    assert again.message.pk == first.message.pk
    # The visitor's "same" is not the agent's: client ids are kept apart per side.
    assert (mine.created, mine_again.created) == (True, False)
    assert mine_again.message.pk == mine.message.pk != first.message.pk
    # A retry took no sequence number: the next line follows on directly.
    last = chat_message_send_visitor(chat=fresh(chat), text="?", client_id="next")
    assert last.message.sequence == mine.message.sequence + 1


def test_a_retry_after_the_end_gets_its_message_and_new_text_an_error(
    chat: Chat, agent: User
) -> None:
    first = chat_message_send_visitor(chat=fresh(chat), text="Bye", client_id="bye")
    chat_end(chat=fresh(chat), actor=None)

    retried = chat_message_send_visitor(chat=fresh(chat), text="Bye", client_id="bye")
    assert retried == SendResult(first.message, created=False)
    with pytest.raises(ChatError) as error:
        chat_message_send_visitor(chat=fresh(chat), text="More", client_id="more")
    assert error.value.code == "ended"


def test_chat_lines_carry_no_signature_but_workspace_replies_do(chat: Chat, agent: User) -> None:
    agent.signature = "Anna, Lamp Shop support"
    agent.save(update_fields=["signature"])

    line = chat_message_send_agent(chat=fresh(chat), agent=agent, text="Hi!", client_id="a1")
    mail = message_reply(
        conversation=fresh(chat).conversation, author=agent, content=MessageContent("Summary")
    )

    assert Message.objects.get(pk=line.message.pk).text == "Hi!"
    assert mail.text == "Summary\n\n-- \nAnna, Lamp Shop support"
