from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from storedesk.accounts.models import User
from storedesk.conversations.enums import ConversationStatus, DeliveryStatus, EventType, MessageKind
from storedesk.conversations.models import Conversation, ConversationEvent, Message
from storedesk.conversations.selectors import timeline_for_agent, timeline_for_customer
from storedesk.conversations.services.changes import (
    conversation_restore,
    conversation_snooze,
    conversation_transition,
    conversation_wake_due,
)
from storedesk.conversations.services.merge import conversation_block_sender, conversation_merge
from storedesk.conversations.services.messages import (
    MessageContent,
    conversation_open,
    message_receive,
    message_reply,
    note_add,
)
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.models import Customer
from storedesk.inboxes.models import Inbox

pytestmark = pytest.mark.django_db


def test_open_numbers_sequentially_and_starts_the_timeline(
    email_inbox: Inbox, customer: Customer
) -> None:
    first = create_conversation(inbox=email_inbox, customer=customer)
    second = create_conversation(inbox=email_inbox, customer=customer)

    assert second.number == first.number + 1
    assert first.status == ConversationStatus.NEW
    assert first.team_id == email_inbox.team_id
    assert [(e.sequence, e.kind) for e in timeline_for_agent(conversation=first)] == [
        (1, "event"),
        (2, "message"),
    ]
    assert first.waiting_since is not None


def test_reply_queues_delivery_and_hands_the_turn_to_the_customer(
    email_inbox: Inbox, customer: Customer, agent: User, django_capture_on_commit_callbacks: object
) -> None:
    conversation = create_conversation(inbox=email_inbox, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        reply = message_reply(
            conversation=conversation, author=agent, content=MessageContent(text="On its way!")
        )

    conversation.refresh_from_db()
    reply.refresh_from_db()
    assert conversation.status == ConversationStatus.PENDING
    assert conversation.assignee == agent
    assert conversation.waiting_since is None
    assert conversation.first_response_at is not None
    assert reply.delivery_status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kim@example.com"]
    assert "On its way!" in mail.outbox[0].body
    assert "/portal/status/" in mail.outbox[0].body


def test_reply_is_not_mailed_when_the_customer_opted_out(
    email_inbox: Inbox, customer: Customer, agent: User, django_capture_on_commit_callbacks: object
) -> None:
    conversation = create_conversation(inbox=email_inbox, customer=customer)
    conversation.notify_customer = False
    conversation.save()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        message_reply(conversation=conversation, author=agent, content=MessageContent(text="Hi"))

    assert mail.outbox == []


def test_customer_message_reopens_and_is_idempotent_by_client_id(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    conversation = create_conversation(inbox=email_inbox, customer=customer)
    message_reply(conversation=conversation, author=agent, content=MessageContent(text="Done?"))
    content = MessageContent(text="Not yet", client_id="c-1")

    first = message_receive(conversation=conversation, customer=customer, content=content)
    again = message_receive(conversation=conversation, customer=customer, content=content)

    conversation.refresh_from_db()
    assert first.pk == again.pk
    assert Message.objects.filter(conversation=conversation, client_id="c-1").count() == 1
    assert conversation.status == ConversationStatus.OPEN


def test_sequence_numbers_are_unique_and_contiguous(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    conversation = create_conversation(inbox=email_inbox, customer=customer)
    note_add(conversation=conversation, author=agent, content=MessageContent(text="VIP"))
    conversation_transition(
        conversation=conversation, status=ConversationStatus.ON_HOLD, actor=agent
    )
    message_receive(conversation=conversation, customer=customer, content=MessageContent(text="?"))

    sequences = [e.sequence for e in timeline_for_agent(conversation=conversation)]
    assert sequences == list(range(1, len(sequences) + 1))
    assert timeline_for_agent(conversation=conversation, after=3)[0].sequence == 4


def test_customer_timeline_hides_notes_and_events(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    conversation = create_conversation(inbox=email_inbox, customer=customer)
    note_add(conversation=conversation, author=agent, content=MessageContent(text="secret"))

    kinds = [e.message.kind for e in timeline_for_customer(conversation=conversation) if e.message]
    assert kinds == [MessageKind.INBOUND]


def test_forbidden_transition_is_refused_and_records_nothing(
    email_inbox: Inbox, agent: User
) -> None:
    conversation = create_conversation(inbox=email_inbox)
    conversation_transition(
        conversation=conversation, status=ConversationStatus.CLOSED, actor=agent
    )
    events_before = ConversationEvent.objects.count()

    with pytest.raises(ValidationError):
        conversation_transition(
            conversation=conversation, status=ConversationStatus.OPEN, actor=agent
        )

    assert ConversationEvent.objects.count() == events_before
    assert Conversation.objects.get(pk=conversation.pk).status == ConversationStatus.CLOSED


def test_spam_restores_to_the_previous_status(email_inbox: Inbox, agent: User) -> None:
    conversation = create_conversation(inbox=email_inbox)
    conversation_transition(
        conversation=conversation, status=ConversationStatus.PENDING, actor=agent
    )
    conversation_transition(conversation=conversation, status=ConversationStatus.SPAM, actor=agent)

    restored = conversation_restore(conversation=conversation, actor=agent)

    assert restored.status == ConversationStatus.PENDING


def test_snooze_wakes_on_time(email_inbox: Inbox, agent: User) -> None:
    conversation = create_conversation(inbox=email_inbox)
    conversation_transition(
        conversation=conversation, status=ConversationStatus.PENDING, actor=agent
    )
    until = timezone.now() + timedelta(hours=2)
    conversation_snooze(conversation=conversation, until=until, actor=agent)

    assert conversation_wake_due(now=until - timedelta(minutes=1)) == 0
    assert conversation_wake_due(now=until + timedelta(minutes=1)) == 1

    conversation.refresh_from_db()
    assert conversation.snoozed_until is None
    assert conversation.status == ConversationStatus.OPEN
    assert conversation.events.filter(type=EventType.WOKE).count() == 1


def test_merge_moves_messages_to_the_end_of_the_target(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    target = create_conversation(inbox=email_inbox, customer=customer, text="first")
    source = create_conversation(inbox=email_inbox, customer=customer, text="second")

    conversation_merge(source=source, target=target, actor=agent)

    texts = [e.message.text for e in timeline_for_agent(conversation=target) if e.message]
    assert texts == ["first", "second"]
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    assert source.status == ConversationStatus.CLOSED


def test_blocked_sender_goes_to_spam_now_and_later(
    email_inbox: Inbox, customer: Customer, agent: User
) -> None:
    conversation = create_conversation(inbox=email_inbox, customer=customer)

    conversation_block_sender(conversation=conversation, actor=agent)
    later = create_conversation(inbox=email_inbox, customer=customer)

    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.SPAM
    assert later.status == ConversationStatus.SPAM


@pytest.mark.parametrize(
    ("name", "size"),
    [("virus.exe", 10), ("huge.pdf", 11 * 1024 * 1024)],
)
def test_bad_attachment_is_refused_and_nothing_is_written(
    email_inbox: Inbox, customer: Customer, name: str, size: int
) -> None:
    upload = SimpleUploadedFile(name, b"x" * size, content_type="application/octet-stream")

    with pytest.raises(ValidationError):
        conversation_open(
            inbox=email_inbox,
            customer=customer,
            subject="s",
            content=MessageContent(text="t", files=[upload]),
        )

    assert Conversation.objects.count() == 0


@pytest.mark.parametrize("writer", ["reply", "receive"])
def test_a_refused_file_leaves_the_callers_transaction_usable(
    email_inbox: Inbox, customer: Customer, agent: User, writer: str
) -> None:
    """Replying and receiving take no savepoint of their own; they refuse before writing.

    The test runs inside a transaction (pytest-django), as the chat and intake callers do.
    """
    conversation = create_conversation(inbox=email_inbox, customer=customer)
    content = MessageContent(text="t", files=[SimpleUploadedFile("virus.exe", b"x")])

    def write() -> object:
        if writer == "reply":
            return message_reply(conversation=conversation, author=agent, content=content)
        return message_receive(conversation=conversation, customer=customer, content=content)

    with pytest.raises(ValidationError):
        write()

    assert Message.objects.filter(conversation=conversation).count() == 1
    message_receive(conversation=conversation, customer=customer, content=MessageContent("ok"))
    assert Message.objects.filter(conversation=conversation).count() == 2


@pytest.mark.parametrize(
    "status", [ConversationStatus.PENDING, ConversationStatus.ON_HOLD, ConversationStatus.SOLVED]
)
def test_leaving_open_stops_the_customers_wait(
    email_inbox: Inbox, agent: User, status: ConversationStatus
) -> None:
    conversation = create_conversation(inbox=email_inbox)
    assert conversation.waiting_since is not None

    conversation_transition(conversation=conversation, status=status, actor=agent)

    conversation.refresh_from_db()
    assert conversation.waiting_since is None
