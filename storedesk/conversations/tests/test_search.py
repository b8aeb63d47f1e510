"""Conversation search: the header and every message, each message indexed once.

The same expectations on SQLite (FTS5 trigram tables) and PostgreSQL (pg_trgm indexes).
"""

from __future__ import annotations

import pytest

from storedesk.accounts.models import User
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.search import conversation_search_filter
from storedesk.conversations.services.merge import conversation_merge
from storedesk.conversations.services.messages import (
    MessageContent,
    message_receive,
    message_reply,
    note_add,
)
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.models import Customer
from storedesk.customers.tests.factories import create_customer
from storedesk.inboxes.models import Inbox

pytestmark = pytest.mark.django_db


def _found(query: str) -> set[int]:
    matching = conversation_search_filter(Conversation.objects.all(), query)
    return set(matching.values_list("number", flat=True))


@pytest.fixture
def lamp(email_inbox: Inbox, customer: Customer, agent: User) -> Conversation:
    """A conversation with a later customer message, a signed agent reply and a note."""
    agent.signature = "Anna Berg\nNordic Lamps support"
    agent.save()
    conversation = create_conversation(
        inbox=email_inbox, customer=customer, subject="Aurora lamp flickers",
        text="My order NH-174574 arrived yesterday.",
    )
    message_receive(
        conversation=conversation, customer=customer,
        content=MessageContent(text="Also, заказ пришёл без лампочки. 灯泡坏了"),
    )
    message_reply(conversation=conversation, author=agent,
                  content=MessageContent(text="A replacement bulb is on its way."))
    note_add(conversation=conversation, author=agent,
             content=MessageContent(text="Warehouse ticket WH-88"))
    return conversation


@pytest.fixture
def other(email_inbox: Inbox) -> Conversation:
    return create_conversation(
        inbox=email_inbox, customer=create_customer(email="sam@example.com", name="Sam Holm"),
        subject="Invoice copy", text="Please send the invoice again, 50% discount missing.",
    )


@pytest.mark.parametrize(
    "query",
    [
        "aurora",  # subject, any case
        "kim lee",  # customer's name
        "kim@example.com",  # customer's address
        "NH-174574",  # the first message
        "ЗАКАЗ",  # a later message, Cyrillic in another case
        "灯泡",  # Chinese, two characters (below the trigram index)
        "replacement bulb",  # the agent's own words
        "WH-88",  # an internal note
        "flickers лампочки replacement",  # every word, from different messages
    ],
)
def test_a_word_anywhere_in_the_conversation_finds_it(
    lamp: Conversation, other: Conversation, query: str
) -> None:
    assert _found(query) == {lamp.number}


def test_every_word_must_be_found(lamp: Conversation, other: Conversation) -> None:
    assert _found("aurora invoice") == set()
    assert _found("invoice") == {other.number}


def test_the_agents_signature_is_not_searched(lamp: Conversation) -> None:
    assert _found("Nordic Lamps") == set()


def test_like_wildcards_are_plain_characters(lamp: Conversation, other: Conversation) -> None:
    assert _found("50%") == {other.number}
    assert _found("%") == {other.number}
    assert _found("_") == set()


def test_merged_messages_are_found_in_the_target(
    lamp: Conversation, other: Conversation, agent: User
) -> None:
    conversation_merge(source=other, target=lamp, actor=agent)

    assert lamp.number in _found("discount missing")


def test_a_deleted_conversations_messages_are_no_longer_found(
    lamp: Conversation, other: Conversation
) -> None:
    Message.objects.filter(conversation=other).delete()
    other.delete()

    assert _found("invoice") == set()
    assert _found("discount") == set()


def test_an_edited_message_is_found_by_its_new_words(lamp: Conversation) -> None:
    note = Message.objects.get(conversation=lamp, text="Warehouse ticket WH-88")
    note.text = "Courier reference CR-17"
    note.save(update_fields=["text"])

    assert _found("WH-88") == set()
    assert _found("CR-17") == {lamp.number}
