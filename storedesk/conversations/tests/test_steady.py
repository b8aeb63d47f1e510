"""A reply that changes nothing but counters and times takes one statement (services/steady.py),
and leaves the conversation exactly as the general path would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_agent
from storedesk.conversations.enums import ConversationStatus, DeliveryStatus, EventType
from storedesk.conversations.models import Conversation, ConversationEvent, Message
from storedesk.conversations.services.messages import (
    MessageContent,
    message_receive_once,
    message_reply,
)
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.models import Customer
from storedesk.inboxes.models import Inbox

pytestmark = pytest.mark.django_db

OPEN = ConversationStatus.OPEN
Row = tuple[Any, ...]
ROW_FIELDS = (
    "status", "assignee_id", "message_count", "last_sequence", "waiting_since",
    "first_response_at",
)


def chat_line(conversation: Conversation, agent: User, text: str, **options: Any) -> Message:
    """An agent's chat line, as chat_message_send_agent writes it."""
    options = {"status_after": OPEN, "delivered": True, "signed": False, **options}
    return message_reply(
        conversation=conversation, author=agent, content=MessageContent(text=text), **options
    )


def row(conversation: Conversation) -> Row:
    return tuple(Conversation.objects.values_list(*ROW_FIELDS).get(pk=conversation.pk))


def statements(write: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        write()
    return [q["sql"] for q in captured.captured_queries]


def test_a_chat_line_after_the_first_is_one_update_and_the_insert(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    conversation = create_conversation(inbox=email_inbox, customer=customer)
    first = chat_line(conversation, agent, "Hi, I am Alex.")
    events = ConversationEvent.objects.filter(conversation=conversation).count()
    before = Conversation.objects.get(pk=conversation.pk)

    sql = statements(lambda: chat_line(conversation, agent, "Let me look at your order."))

    writes = [s for s in sql if s.split(None, 1)[0] in ("UPDATE", "INSERT", "SELECT")]
    assert [s.split(None, 1)[0] for s in writes] == ["UPDATE", "INSERT"], sql
    assert not [s for s in sql if s.startswith("SAVEPOINT")], sql  # none inside the caller's
    after = Conversation.objects.get(pk=conversation.pk)
    second = Message.objects.get(conversation=conversation, text="Let me look at your order.")
    assert second.sequence == before.last_sequence + 1 == after.last_sequence
    assert second.sequence > first.sequence
    assert second.delivery_status == DeliveryStatus.SENT
    assert after.message_count == before.message_count + 1
    assert (after.status, after.assignee_id, after.waiting_since) == (OPEN, agent.pk, None)
    assert after.first_response_at == before.first_response_at
    assert after.last_message_at > before.last_message_at
    assert after.updated_at > before.updated_at
    assert ConversationEvent.objects.filter(conversation=conversation).count() == events
    # The caller's object is left alone: its savepoint could still roll the UPDATE back.
    assert conversation.last_sequence == 2


def test_replies_that_change_more_take_the_general_path(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    colleague = create_agent(username="omar", display_name="Omar")
    conversation = create_conversation(inbox=email_inbox, customer=customer)
    # The first line: assigns and opens (events), sets the first response.
    chat_line(conversation, agent, "Hi, I am Alex.")
    types = ConversationEvent.objects.filter(conversation=conversation).values_list("type")
    assert {t for (t,) in types} >= {EventType.ASSIGNED, EventType.STATUS_CHANGED}

    # Another agent answering: not the assignee, so the locking read decides (no
    # reassignment: the conversation keeps its assignee, as before).
    sql = statements(lambda: chat_line(conversation, colleague, "I can help too."))
    assert any(s.startswith("SELECT") and "conversations_conversation" in s for s in sql)
    assert row(conversation)[:2] == (OPEN, agent.pk)

    # An email reply hands the turn to the customer: a status change, recorded.
    message_reply(conversation=conversation, author=agent, content=MessageContent(text="Mail"))
    assert row(conversation)[0] == ConversationStatus.PENDING
    last = ConversationEvent.objects.filter(conversation=conversation).order_by("sequence").last()
    assert last is not None
    assert last.type == EventType.STATUS_CHANGED


def test_the_steady_path_leaves_the_row_as_the_general_path_would(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    steady = create_conversation(inbox=email_inbox, customer=customer)
    general = create_conversation(inbox=email_inbox, customer=customer)
    for conversation in (steady, general):
        chat_line(conversation, agent, "Hi, I am Alex.")

    chat_line(steady, agent, "Found it.")
    # A CC keeps a reply off the steady path; the customer's own address adds nobody, so
    # both replies should leave the same state.
    cc_self = MessageContent(text="Found it.", cc=[customer.primary_email])
    sql = statements(
        lambda: message_reply(
            conversation=general, author=agent, content=cc_self,
            status_after=OPEN, delivered=True, signed=False,
        )
    )
    assert any(s.startswith("SELECT") and "conversations_conversation" in s for s in sql)

    # status, assignee, message count, last sequence, waiting since (timestamps differ).
    assert row(steady)[:5] == row(general)[:5]
    assert row(steady)[5] is not None


def customer_line(conversation: Conversation, customer: Customer, client_id: str) -> Any:
    return message_receive_once(
        conversation=conversation,
        customer=customer,
        content=MessageContent(text=f"Line {client_id}", client_id=client_id),
    )


def test_a_customer_line_on_an_open_conversation_is_one_update_and_the_insert(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    conversation = create_conversation(inbox=email_inbox, customer=customer)
    chat_line(conversation, agent, "Hi, I am Alex.")  # open, nobody waiting
    before = Conversation.objects.get(pk=conversation.pk)

    sql = statements(lambda: customer_line(conversation, customer, "c-1"))

    writes = [s for s in sql if s.split(None, 1)[0] in ("UPDATE", "INSERT", "SELECT")]
    assert [s.split(None, 1)[0] for s in writes] == ["UPDATE", "INSERT"], sql
    after = Conversation.objects.get(pk=conversation.pk)
    assert after.status == OPEN
    assert after.message_count == before.message_count + 1
    assert after.waiting_since is not None  # the customer waits now
    assert after.last_customer_message_at == after.last_message_at == after.waiting_since
    waiting_since = after.waiting_since

    # A second line: still waiting since the first.
    customer_line(conversation, customer, "c-2")
    assert Conversation.objects.get(pk=conversation.pk).waiting_since == waiting_since


def test_a_retried_customer_line_counts_once(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    conversation = create_conversation(inbox=email_inbox, customer=customer)
    chat_line(conversation, agent, "Hi, I am Alex.")
    first, created = customer_line(conversation, customer, "c-1")
    assert created
    before = row(conversation)

    again, created = customer_line(conversation, customer, "c-1")

    assert (again.pk, created) == (first.pk, False)
    assert row(conversation) == before


def test_a_customer_line_that_reopens_takes_the_general_path(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    conversation = create_conversation(inbox=email_inbox, customer=customer)
    message_reply(conversation=conversation, author=agent, content=MessageContent(text="Sent"))
    assert row(conversation)[0] == ConversationStatus.PENDING

    customer_line(conversation, customer, "c-1")

    assert row(conversation)[0] == OPEN
    last = ConversationEvent.objects.filter(conversation=conversation).order_by("sequence").last()
    assert last is not None
    assert (last.type, last.data["to"]) == (EventType.STATUS_CHANGED, OPEN)
