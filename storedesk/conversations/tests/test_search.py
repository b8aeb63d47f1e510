"""Conversation search: the header and every message, each message indexed once.

The same expectations on SQLite (FTS5 trigram tables) and PostgreSQL (pg_trgm indexes).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.db import connection

from storedesk.accounts.models import User
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.search import SQLITE_SEARCHABLE, conversation_search_filter
from storedesk.conversations.search_index import search_index_catch_up
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

# Every test runs twice on SQLite: with the messages still pending, as right after they are
# written, and with the index caught up (search_index.py). PostgreSQL has no such states.
_state = {"catch_up": False}
_INDEX_STATES = ["pending", "indexed"] if connection.vendor == "sqlite" else ["gin"]


@pytest.fixture(autouse=True, params=_INDEX_STATES)
def _index_state(request: pytest.FixtureRequest) -> Iterator[None]:
    _state["catch_up"] = request.param == "indexed"
    yield
    _state["catch_up"] = False


def _found(query: str) -> set[int]:
    if _state["catch_up"]:
        search_index_catch_up()
    matching = conversation_search_filter(Conversation.objects.all(), query)
    return set(matching.values_list("number", flat=True))


def _fts_rows_holding(trigram: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM message_fts WHERE message_fts MATCH %s", [f'"{trigram}"']
        )
        return {row[0] for row in cursor.fetchall()}


def _pending() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT message_id FROM message_search_pending")
        return {row[0] for row in cursor.fetchall()}


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
    assert _found("Lamps") == set()
    assert _found("rg") == set()  # "Berg": below the index, the scan reads what it holds


def test_a_word_is_found_whole_not_as_its_scattered_trigrams(
    email_inbox: Inbox, customer: Customer
) -> None:
    scattered = create_conversation(
        inbox=email_inbox, customer=customer, subject="Parcel", text="ordinal border 4471"
    )

    assert _found("order") == {scattered.number}  # inside "border"
    assert _found("orde") == {scattered.number}
    assert _found("ordinal") == {scattered.number}
    # Every trigram of these is in the text ("ord", "rde", "der"; "447", "471"), the word
    # itself is not.
    assert _found("ordder") == set()
    assert _found("4474471") == set()


def test_short_words_are_found_in_any_case_and_script(
    lamp: Conversation, email_inbox: Inbox, customer: Customer
) -> None:
    parcel = create_conversation(
        inbox=email_inbox, customer=customer, subject="Посылка", text="ОК, ΕΥΧΑΡΙΣΤΩ"
    )

    # Below the trigram index: a scan, folding every script as the index does.
    assert _found("ок") == {parcel.number}
    assert _found("ευ") == {parcel.number}
    assert _found("ЗА") == {lamp.number}  # "заказ"
    assert _found("Nh") == {lamp.number}  # "NH-174574"


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


sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own index")


@sqlite_only
def test_catching_up_indexes_pending_messages_once(lamp: Conversation) -> None:
    messages = set(Message.objects.values_list("pk", flat=True))
    assert _pending() == messages
    assert _fts_rows_holding("aur") == set()

    assert search_index_catch_up() == len(messages)

    assert _pending() == set()
    assert _fts_rows_holding("aur") == {lamp.messages.order_by("sequence")[0].pk}
    assert search_index_catch_up() == 0


@sqlite_only
def test_an_indexed_message_edited_or_deleted_leaves_the_index(lamp: Conversation) -> None:
    search_index_catch_up()
    note = Message.objects.get(conversation=lamp, text="Warehouse ticket WH-88")
    reply = Message.objects.get(conversation=lamp, text__startswith="A replacement bulb")
    assert _fts_rows_holding("wh-") == {note.pk}

    note.text = "Courier reference CR-17"
    note.save(update_fields=["text"])
    reply.delete()

    # Edited: out of the index, pending again. Deleted: out of both. (A contentless index
    # told to forget words a row does not hold would be corrupt: the first assertion
    # would then still find the note.)
    assert _fts_rows_holding("wh-") == set()
    assert _fts_rows_holding("bul") == set()
    assert _pending() == {note.pk}
    search_index_catch_up()
    assert _fts_rows_holding("cr-") == {note.pk}
    assert _fts_rows_holding("bul") == set()


@sqlite_only
def test_a_pending_message_edited_or_deleted_is_indexed_as_it_is_now(
    lamp: Conversation,
) -> None:
    note = Message.objects.get(conversation=lamp, text="Warehouse ticket WH-88")
    note.text = "Courier reference CR-17"
    note.save(update_fields=["text"])
    Message.objects.filter(conversation=lamp, text__startswith="A replacement bulb").delete()

    search_index_catch_up()

    assert _fts_rows_holding("wh-") == set()
    assert _fts_rows_holding("cr-") == {note.pk}
    assert _fts_rows_holding("bul") == set()


@sqlite_only
def test_the_sqlite_search_reads_what_the_index_holds() -> None:
    indexed = importlib.import_module(
        "storedesk.conversations.migrations.0006_message_search_index"
    )
    expression = indexed._sqlite_searchable("conversations_message")  # noqa: SLF001

    assert expression.replace("conversations_message.", "") == SQLITE_SEARCHABLE
