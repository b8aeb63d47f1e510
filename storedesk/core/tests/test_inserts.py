"""row_insert writes the row Model.objects.create would, and refuses what the database
refuses."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.forms.models import model_to_dict

from storedesk.conversations.enums import MessageKind
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.tests.factories import create_conversation
from storedesk.core.inserts import row_insert, row_insert_unless_taken, rows_insert

pytestmark = pytest.mark.django_db

_SEQUENCE = ("conversation", "sequence")  # message_sequence_unique


def _fields(conversation: Conversation, sequence: int, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "conversation": conversation,
        "sequence": sequence,
        "kind": MessageKind.NOTE,
        "text": "Täckt: 漢字 \\ back\\slash",
        "cc": ["a@shop.example"],
        "channel_metadata": {"widget": {"page": "/cart"}},
        "client_id": f"c-{sequence}",
    }
    return fields | overrides


def _stored(message: Message) -> dict[str, Any]:
    fresh = Message.objects.get(pk=message.pk)
    fields = model_to_dict(fresh, exclude=["id", "sequence", "client_id"])
    return fields | {"timestamps": _stored_times(fresh)}


def _stored_but_text(message: Message) -> dict[str, Any]:
    fields = _stored(message)
    del fields["text"], fields["timestamps"]
    return fields


def _stored_times(message: Message) -> tuple[Any, Any]:
    fresh = Message.objects.get(pk=message.pk)
    assert fresh.created_at is not None
    return fresh.created_at, fresh.updated_at


def test_row_insert_stores_what_create_stores() -> None:
    conversation = create_conversation()
    created = Message.objects.create(**_fields(conversation, 100))
    inserted = row_insert(Message(**_fields(conversation, 101)))

    assert inserted.pk is not None
    assert inserted.pk != created.pk
    assert not inserted._state.adding
    created_row, inserted_row = _stored(created), _stored(inserted)
    assert created_row.pop("timestamps") <= inserted_row.pop("timestamps")
    assert inserted_row == created_row
    # auto_now_add and auto_now were set on the instance, as save() sets them.
    assert (inserted.created_at, inserted.updated_at) == _stored_times(inserted)


def test_row_insert_raises_the_databases_integrity_error() -> None:
    conversation = create_conversation()
    row_insert(Message(**_fields(conversation, 100)))

    with pytest.raises(IntegrityError), transaction.atomic():
        row_insert(Message(**_fields(conversation, 100, client_id="other")))  # the same sequence
    assert Message.objects.filter(conversation=conversation, sequence=100).count() == 1


def test_row_insert_refuses_a_model_with_save_logic(monkeypatch: pytest.MonkeyPatch) -> None:
    conversation = create_conversation()

    def receiver(**kwargs: Any) -> None:
        raise AssertionError("not reached")

    post_save.connect(receiver, sender=Message)
    try:
        with pytest.raises(TypeError, match="would skip"):
            row_insert(Message(**_fields(conversation, 100)))
    finally:
        post_save.disconnect(receiver, sender=Message)

    monkeypatch.setattr(Message, "save", lambda self, *args, **kwargs: None)
    with pytest.raises(TypeError, match="would skip"):
        row_insert(Message(**_fields(conversation, 101)))
    assert not Message.objects.filter(conversation=conversation, sequence__gte=100).exists()


def test_row_insert_unless_taken_writes_nothing_over_a_taken_key() -> None:
    conversation = create_conversation()
    first = row_insert_unless_taken(Message(**_fields(conversation, 100)), unique=_SEQUENCE)
    second = Message(**_fields(conversation, 100, client_id="other", text="second"))

    with transaction.atomic():
        assert row_insert_unless_taken(second, unique=_SEQUENCE) is None
        # No error was raised, so the transaction goes on without a savepoint around it.
        assert Message.objects.filter(conversation=conversation, sequence=100).count() == 1
    assert first is not None
    assert first.pk is not None
    assert second._state.adding  # unsaved: no primary key
    assert Message.objects.get(conversation=conversation, sequence=100).text == first.text


def test_row_insert_unless_taken_raises_for_another_constraint() -> None:
    conversation = create_conversation()
    row_insert(Message(**_fields(conversation, 100)))

    with pytest.raises(IntegrityError), transaction.atomic():
        # A free sequence, but the client id is taken: only `unique` is let pass.
        row_insert_unless_taken(
            Message(**_fields(conversation, 101, client_id="c-100")), unique=_SEQUENCE
        )
    assert not Message.objects.filter(conversation=conversation, sequence=101).exists()


def test_rows_insert_stores_each_row_as_row_insert_does_and_sets_their_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conversation = create_conversation()
    single = row_insert(Message(**_fields(conversation, 100)))
    rows = [Message(**_fields(conversation, 101 + n, text=f"row {n}")) for n in range(5)]
    # Three statements of two, two and one row: the batching a database limit asks for.
    monkeypatch.setattr(type(connection.ops), "bulk_batch_size", lambda self, f, o: 2)

    rows_insert(rows)

    assert [row.pk for row in rows] == sorted(row.pk for row in rows)
    for n, row in enumerate(rows):
        assert not row._state.adding
        assert Message.objects.get(pk=row.pk).text == f"row {n}"  # each key is its own row
        assert _stored_but_text(row) == _stored_but_text(single)


def test_rows_insert_raises_the_databases_integrity_error_and_writes_nothing() -> None:
    conversation = create_conversation()
    row_insert(Message(**_fields(conversation, 100)))
    rows = [
        Message(**_fields(conversation, 99)),
        Message(**_fields(conversation, 100, client_id="x")),  # the sequence is taken
    ]

    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(rows)
    assert not Message.objects.filter(conversation=conversation, sequence=99).exists()
    rows_insert([])  # nothing to write, no statement
