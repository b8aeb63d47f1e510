"""Opening conversations and adding messages and notes to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from storedesk.accounts.models import User
from storedesk.conversations.enums import (
    ConversationStatus,
    DeliveryStatus,
    EventType,
    MessageKind,
    ParticipantRole,
)
from storedesk.conversations.models import Conversation, ConversationCounter, Message, Participant
from storedesk.conversations.services.attachments import attachments_store, attachments_validate
from storedesk.conversations.services.deferred import insert_or_defer
from storedesk.conversations.services.steady import (
    receive_steady_advance,
    reply_steady_advance,
)
from storedesk.conversations.services.timeline import (
    conversation_publish_update,
    counter_increment,
    event_insert,
    event_record,
    sequence_take_next,
    timeline_publish,
)
from storedesk.core.inserts import row_insert
from storedesk.core.sanitize import sanitize_html, text_to_html
from storedesk.core.tasks import enqueue_on_commit
from storedesk.customers.models import Customer
from storedesk.customers.services import customer_get_or_create_by_email
from storedesk.inboxes.models import Inbox

SEARCH_TEXT_MAX_CHARS = 20_000
# WHOLE: opening a conversation, receiving and replying run for every mail and chat line,
# mostly inside their caller's transaction, where a plain atomic block would add a savepoint
# (SAVEPOINT and RELEASE, and Django's bookkeeping). They happen whole or not at all: none of
# their callers goes on in the same transaction after they failed (one that must, wraps the
# call in its own atomic block), so they take `atomic(savepoint=False)`, and validate their
# input before it, so a refused file leaves the caller's transaction usable.
# conversation_open's timeline: 1 the CREATED event, 2 the first message.
OPENING_SEQUENCES = 2


@dataclass(frozen=True)
class MessageContent:
    text: str
    html: str = ""
    files: Sequence[UploadedFile] = ()
    cc: Sequence[str] = ()
    client_id: str = ""
    channel_metadata: dict[str, object] = field(default_factory=dict)

    def safe_html(self) -> str:
        return sanitize_html(self.html) if self.html else text_to_html(self.text)


def _number_take_next() -> int:
    """The next conversation number; the counter row's lock serialises concurrent openers."""
    number = counter_increment(ConversationCounter, "value", pk=1)
    if number is None:
        # Migration 0003 creates the row; a flushed database (transactional tests) has none.
        ConversationCounter.objects.get_or_create(pk=1, defaults={"value": 1000})
        ConversationCounter.objects.filter(pk=1).update(value=F("value") + 1)
        number = ConversationCounter.objects.values_list("value", flat=True).get(pk=1)
    return number


def conversation_openers_lock() -> None:
    """Take the conversation counter's row lock until commit, as every opener does first:
    openers elsewhere (and what they count meanwhile, such as acknowledgements) wait for
    this transaction. A no-op on SQLite, whose IMMEDIATE transactions already serialise
    writers. The row is migration 0003's (a flushed test database has none: no lock)."""
    list(ConversationCounter.objects.select_for_update().filter(pk=1).values_list("pk"))


def _search_header(subject: str, customer: Customer, address: str = "") -> str:
    """What search finds a conversation by besides its messages' text (Message.search_header):
    the subject, the customer's name and the address they wrote from (else their first)."""
    parts = (subject, customer.name, address or customer.primary_email)
    return " ".join(part for part in parts if part)[:SEARCH_TEXT_MAX_CHARS]


def _message_create(
    *,
    conversation: Conversation,
    kind: MessageKind,
    content: MessageContent,
    author_user: User | None = None,
    author_customer: Customer | None = None,
    delivery_status: str = "",
    sequence: int | None = None,
    search_header: str = "",
) -> Message:
    """The message, its attachments and its live update; `sequence` when already reserved."""
    # row_insert: the statement compiled once (a chat line's and a mail's hot path).
    message = row_insert(
        Message(
            conversation=conversation,
            sequence=sequence_take_next(conversation) if sequence is None else sequence,
            kind=kind,
            author_user=author_user,
            author_customer=author_customer,
            text=content.text,
            html=content.safe_html(),
            cc=list(content.cc),
            delivery_status=delivery_status,
            channel_metadata=content.channel_metadata,
            client_id=content.client_id,
            search_header=search_header,
        )
    )
    if content.files:
        attachments_store(conversation=conversation, message=message, files=content.files)
    timeline_publish(conversation=conversation, sequence=message.sequence)
    return message


def _participants_add(conversation: Conversation, addresses: Sequence[str]) -> None:
    for address in addresses:
        customer = customer_get_or_create_by_email(email=address)
        if customer.pk == conversation.customer_id:
            continue
        Participant.objects.get_or_create(
            conversation=conversation, customer=customer, defaults={"role": ParticipantRole.CC}
        )


def conversation_open(
    *,
    inbox: Inbox,
    customer: Customer,
    subject: str,
    content: MessageContent,
    language: str = "",
) -> Conversation:
    """Open a conversation with the customer's first message.

    Records a CREATED event and the message; blocked customers' conversations start in
    spam. Publishes timeline.appended after commit.
    """
    return conversation_open_with_message(
        inbox=inbox, customer=customer, subject=subject, content=content, language=language
    )[0]


def conversation_open_with_message(
    *,
    inbox: Inbox,
    customer: Customer,
    subject: str,
    content: MessageContent,
    language: str = "",
    customer_address: str = "",
) -> tuple[Conversation, Message]:
    """conversation_open, also returning the first message (mail intake links its raw
    email to it without reading it back). `customer_address`: the address the customer
    wrote from, searched instead of their first one (which then needs no read)."""
    attachments_validate(content.files)
    with transaction.atomic(savepoint=False):  # see WHOLE
        now = timezone.now()
        status = ConversationStatus.SPAM if customer.is_blocked else ConversationStatus.NEW
        subject = subject.strip()[:500]
        conversation = row_insert(
            Conversation(
                number=_number_take_next(),
                brand_id=inbox.brand_id,
                inbox=inbox,
                channel=inbox.channel,
                customer=customer,
                subject=subject,
                status=status,
                status_before_removal=ConversationStatus.NEW if customer.is_blocked else "",
                team_id=inbox.team_id,
                language=language or customer.language,
                last_message_at=now,
                last_customer_message_at=now,
                waiting_since=now,
                message_count=1,
                # The CREATED event and the first message; nobody else sees the row before commit.
                last_sequence=OPENING_SEQUENCES,
            )
        )
        if Inbox.brand.is_cached(inbox):
            conversation.brand = inbox.brand  # spares callers (auto-replies) a query
        requester = ParticipantRole.REQUESTER
        insert_or_defer(Participant(conversation=conversation, customer=customer, role=requester))
        _participants_add(conversation, content.cc)
        event_insert(conversation=conversation, sequence=1, type=EventType.CREATED, actor=None)
        message = _message_create(
            conversation=conversation,
            kind=MessageKind.INBOUND,
            content=content,
            author_customer=customer,
            sequence=2,
            search_header=_search_header(subject, customer, customer_address),
        )
        return conversation, message


def message_receive(
    *, conversation: Conversation, customer: Customer, content: MessageContent
) -> Message:
    """A customer (or a CC'd participant) writes again.

    Reopens a pending or solved conversation; the customer now waits for an agent.
    A repeated client_id returns the message stored the first time.
    """
    return message_receive_once(conversation=conversation, customer=customer, content=content)[0]


def message_receive_once(
    *, conversation: Conversation, customer: Customer, content: MessageContent
) -> tuple[Message, bool]:
    """message_receive, telling whether the message is new: (message, True), or for a
    repeated client_id (the message stored the first time, False)."""
    attachments_validate(content.files)
    with transaction.atomic(savepoint=False):  # see WHOLE
        try:
            # The unique client id decides (no SELECT first); the savepoint also undoes the
            # sequence number (and in the steady case the counters) a retry took. Without a
            # client id (mail) no retry can collide, so any IntegrityError fails it whole.
            with transaction.atomic(savepoint=bool(content.client_id)):
                # The row lock makes a concurrent retry of the same client_id wait and then find
                # ours (the steady UPDATE locks it as the SELECT FOR UPDATE does).
                steady = receive_steady_advance(conversation)
                locked = steady or Conversation.objects.select_for_update().get(pk=conversation.pk)
                message = _message_create(
                    conversation=locked,
                    kind=MessageKind.INBOUND,
                    content=content,
                    author_customer=customer,
                    sequence=steady.last_sequence if steady else None,
                )
        except IntegrityError:
            existing = (
                Message.objects.filter(
                    conversation_id=conversation.pk, client_id=content.client_id
                ).first()
                if content.client_id
                else None
            )
            if existing is None:  # not a retry: another constraint failed
                raise
            return existing, False
        fields = list(RECEIVE_FIELDS) if steady else _receive_general(locked)
        conversation_publish_update(conversation=locked, fields=fields)
        return message, True


# What a customer's message changes of its conversation (published as conversation.updated);
# the general path adds "status" when it reopens it.
RECEIVE_FIELDS = ("last_message_at", "last_customer_message_at", "message_count", "waiting_since")


def _receive_general(conversation: Conversation) -> list[str]:
    """message_receive's writes to a locked conversation in any state; the fields changed."""
    now = timezone.now()
    fields = list(RECEIVE_FIELDS)
    conversation.last_message_at = conversation.last_customer_message_at = now
    conversation.message_count += 1
    conversation.waiting_since = conversation.waiting_since or now
    if conversation.status in (ConversationStatus.PENDING, ConversationStatus.SOLVED):
        event_record(
            conversation=conversation,
            type=EventType.STATUS_CHANGED,
            actor=None,
            data={"from": conversation.status, "to": ConversationStatus.OPEN},
        )
        conversation.status = ConversationStatus.OPEN
        fields.append("status")
    conversation.save(update_fields=[*fields, "updated_at"])
    return fields


SIGNATURE_SEPARATOR = "\n\n-- \n"


def _with_signature(content: MessageContent, signature: str) -> MessageContent:
    """`content` with `signature` appended after "-- ", unless it already ends with it."""
    signature = signature.replace("\r\n", "\n").strip()
    text = content.text.replace("\r\n", "\n").rstrip()
    if not signature or text.endswith(signature):
        return content
    signature_html = text_to_html(SIGNATURE_SEPARATOR.lstrip("\n") + signature)
    return replace(
        content,
        text=f"{text}{SIGNATURE_SEPARATOR}{signature}",
        # Callers that pass their own HTML keep it, with the signature as its own paragraph.
        html=content.html + signature_html if content.html else "",
    )


def message_reply(
    *,
    conversation: Conversation,
    author: User,
    content: MessageContent,
    status_after: ConversationStatus = ConversationStatus.PENDING,
    delivered: bool = False,
    signed: bool = True,
) -> Message:
    """An agent answers the customer.

    The agent's signature (``User.signature``), or when that is blank the inbox's
    (``Inbox.signature``), is appended to the text after the conventional "\\n\\n-- \\n"
    separator, unless the text already ends with it (an agent who typed or pasted it
    keeps a single copy); not when `signed` is False (live chat lines: a signature under
    every line of a chat is noise). The stored text, the HTML built from it and the mail the
    customer receives all carry the signature; search indexes only the agent's own words
    (a message's text up to the separator, migration 0006).

    The message is queued for delivery over the conversation's channel (a task after
    commit), unless the caller says it is `delivered` already (a live chat's socket puts
    it in front of the customer at commit): then it is stored SENT and nothing is queued.
    A new or open conversation becomes `status_after`: pending (the customer's turn), or
    open for a live chat, where both sides are present until the chat ends (so a chat
    records no status change per line). An unsigned reply without CCs that changes nothing
    but the conversation's counters and times (a chat's lines after the first) takes one
    UPDATE instead of the locking read and the save (steady.py).
    """
    from storedesk.conversations.tasks import message_deliver_task

    attachments_validate(content.files)
    with transaction.atomic(savepoint=False):  # see WHOLE
        delivery_status = DeliveryStatus.SENT if delivered else DeliveryStatus.QUEUED
        steady = None
        if not signed and not content.cc:
            steady = reply_steady_advance(conversation, author_id=author.pk, status=status_after)
        if steady is not None:
            conversation = steady
            message = _message_create(
                conversation=conversation,
                kind=MessageKind.OUTBOUND,
                content=content,
                author_user=author,
                delivery_status=delivery_status,
                sequence=conversation.last_sequence,
            )
        else:
            conversation, message = _reply_general(
                conversation,
                author=author,
                content=content,
                status_after=status_after,
                delivery_status=delivery_status,
                signed=signed,
            )
        conversation_publish_update(conversation=conversation, fields=list(REPLY_FIELDS))
        if not delivered:
            enqueue_on_commit(message_deliver_task, message.pk)
        return message


# What a reply may change of its conversation (published as conversation.updated).
REPLY_FIELDS = (
    "last_message_at",
    "waiting_since",
    "message_count",
    "first_response_at",
    "assignee",
    "status",
)


def _reply_general(
    conversation: Conversation,
    *,
    author: User,
    content: MessageContent,
    status_after: ConversationStatus,
    delivery_status: DeliveryStatus,
    signed: bool,
) -> tuple[Conversation, Message]:
    """message_reply's writes in any state: the row locked and read, then saved."""
    # The inbox comes with the locked row: its signature is used when the agent has none.
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("inbox")
        .get(pk=conversation.pk)
    )
    if signed:
        content = _with_signature(content, author.signature.strip() or conversation.inbox.signature)
    message = _message_create(
        conversation=conversation,
        kind=MessageKind.OUTBOUND,
        content=content,
        author_user=author,
        delivery_status=delivery_status,
    )
    _participants_add(conversation, content.cc)
    now = timezone.now()
    conversation.last_message_at = now
    conversation.waiting_since = None
    conversation.message_count += 1
    conversation.first_response_at = conversation.first_response_at or now
    if conversation.assignee_id is None:
        conversation.assignee = author
        event_record(
            conversation=conversation,
            type=EventType.ASSIGNED,
            actor=author,
            data={"from": None, "to": author.pk, "to_name": author.name},
        )
    is_new_or_open = conversation.status in (ConversationStatus.NEW, ConversationStatus.OPEN)
    if is_new_or_open and conversation.status != status_after:
        event_record(
            conversation=conversation,
            type=EventType.STATUS_CHANGED,
            actor=author,
            data={"from": conversation.status, "to": status_after},
        )
        conversation.status = status_after
    conversation.save(update_fields=[*REPLY_FIELDS, "updated_at"])
    return conversation, message


@transaction.atomic
def note_add(*, conversation: Conversation, author: User, content: MessageContent) -> Message:
    """An internal note: agents only, never delivered, does not change who waits."""
    attachments_validate(content.files)
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    message = _message_create(
        conversation=conversation, kind=MessageKind.NOTE, content=content, author_user=author
    )
    conversation.save(update_fields=["updated_at"])
    return message
