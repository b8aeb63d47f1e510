"""Playing a planned conversation through the real services, then dating it in the past.

Every message, note, event, sequence number and search index entry comes from the services that
intake and agents use, so demo conversations are shaped exactly like real ones. Only the
timestamps differ: the services stamp "now", so afterwards the loader moves its own rows
back to the planned times with queryset .update() calls (see _timestamps_apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.db.models import Case, DateTimeField, OuterRef, Subquery, Value, When

from storedesk.accounts.models import User
from storedesk.conversations.enums import ConversationStatus, DeliveryStatus, MessageKind
from storedesk.conversations.models import (
    Attachment,
    Conversation,
    ConversationEvent,
    Message,
    Participant,
)
from storedesk.conversations.services.changes import (
    conversation_assign,
    conversation_set_priority,
    conversation_set_tags,
    conversation_snooze,
    conversation_transition,
)
from storedesk.conversations.services.merge import conversation_block_sender
from storedesk.conversations.services.messages import (
    MessageContent,
    conversation_open,
    message_receive,
    message_reply,
    note_add,
)
from storedesk.customers.models import Customer
from storedesk.demo.actions import (
    Action,
    Assign,
    BlockSender,
    Note,
    Open,
    Receive,
    Reply,
    SetPriority,
    SetTags,
    Snooze,
    Transition,
)
from storedesk.demo.avatars import damage_photo_png, invoice_pdf, payment_screenshot_png
from storedesk.demo.plan import ConversationPlan
from storedesk.demo.threads import FileKind
from storedesk.demo.world import World

# The first message of each demo conversation carries its plan key here.
DEMO_KEY = "demo_key"


@dataclass(frozen=True)
class Cast:
    """The rows a plan's names refer to."""

    world: World
    customers: dict[str, Customer]
    now: datetime

    def agent(self, username: str) -> User:
        return self.world.agents[username]


def demo_keys_loaded() -> set[str]:
    return set(
        Message.objects.filter(channel_metadata__has_key=DEMO_KEY).values_list(
            f"channel_metadata__{DEMO_KEY}", flat=True
        )
    )


@transaction.atomic
def plan_play(plan: ConversationPlan, cast: Cast) -> Conversation:
    """Create one planned conversation, all or nothing (so a rerun finds it whole or absent)."""
    first = plan.steps[0].action
    assert isinstance(first, Open)
    conversation = _open(first, plan, cast)
    marks = [(conversation.last_sequence, plan.steps[0].at)]
    solved_at: datetime | None = None
    for step in plan.steps[1:]:
        _apply(step.action, conversation, plan, cast)
        conversation = Conversation.objects.select_related("customer").get(pk=conversation.pk)
        marks.append((conversation.last_sequence, step.at))
        if isinstance(step.action, Transition) and step.action.status == ConversationStatus.SOLVED:
            solved_at = step.at
    _deliveries_mark_sent(conversation)
    _timestamps_apply(conversation, plan, marks, solved_at)
    return conversation


def _open(action: Open, plan: ConversationPlan, cast: Cast) -> Conversation:
    return conversation_open(
        inbox=cast.world.inboxes[plan.inbox_key],
        customer=cast.customers[plan.customer_email],
        subject=action.subject,
        content=MessageContent(
            text=action.text,
            files=_files(action.file, plan, cast),
            cc=action.cc,
            channel_metadata={DEMO_KEY: action.demo_key},
        ),
        language=plan.language,
    )


def _apply(action: Action, conversation: Conversation, plan: ConversationPlan, cast: Cast) -> None:
    match action:
        case Receive():
            message_receive(
                conversation=conversation, customer=conversation.customer,
                content=MessageContent(text=action.text),
            )
        case Reply():
            content = MessageContent(text=action.text, files=_files(action.file, plan, cast))
            author = cast.agent(action.agent)
            message_reply(conversation=conversation, author=author, content=content)
        case Note():
            note_add(
                conversation=conversation, author=cast.agent(action.agent),
                content=MessageContent(text=action.text),
            )
        case _:
            _apply_change(action, conversation, cast)


def _apply_change(action: Action, conversation: Conversation, cast: Cast) -> None:
    match action:
        case Assign():
            conversation_assign(
                conversation=conversation, assignee=cast.agent(action.agent),
                actor=cast.agent(action.actor),
            )
        case SetTags():
            conversation_set_tags(
                conversation=conversation, names=action.tags, actor=cast.agent(action.actor)
            )
        case SetPriority():
            conversation_set_priority(
                conversation=conversation, priority=action.priority,
                actor=cast.agent(action.actor),
            )
        case Transition():
            actor = cast.agent(action.actor) if action.actor else None
            conversation_transition(conversation=conversation, status=action.status, actor=actor)
        case BlockSender():
            # A blocked sender's later conversations start in spam: nothing left to do.
            if conversation.status != ConversationStatus.SPAM:
                conversation_block_sender(conversation=conversation, actor=cast.agent(action.actor))
        case Snooze():
            conversation_snooze(
                conversation=conversation, until=cast.now + timedelta(hours=action.hours),
                actor=cast.agent(action.actor),
            )


def _files(kind: FileKind, plan: ConversationPlan, cast: Cast) -> list[UploadedFile]:
    if kind == FileKind.PHOTO:
        return [SimpleUploadedFile("damage.png", _damage_photo(), "image/png")]
    if kind == FileKind.SCREENSHOT:
        return [SimpleUploadedFile("payment-error.png", _payment_screenshot(), "image/png")]
    if kind == FileKind.INVOICE:
        order = plan.values["order"]
        shop = cast.world.inboxes[plan.inbox_key].brand.name
        pdf = invoice_pdf(shop=shop, order=order, amount=plan.values["amount"])
        return [SimpleUploadedFile(f"invoice-{order}.pdf", pdf, "application/pdf")]
    return []


@cache
def _damage_photo() -> bytes:
    return damage_photo_png()


@cache
def _payment_screenshot() -> bytes:
    return payment_screenshot_png()


def _deliveries_mark_sent(conversation: Conversation) -> None:
    # These replies belong to the past: they count as sent, and a delivery task that
    # runs for one anyway finds it no longer queued and leaves it alone.
    Message.objects.filter(
        conversation=conversation, kind=MessageKind.OUTBOUND, delivery_status=DeliveryStatus.QUEUED
    ).update(delivery_status=DeliveryStatus.SENT)


def _timestamps_apply(
    conversation: Conversation,
    plan: ConversationPlan,
    marks: list[tuple[int, datetime]],
    solved_at: datetime | None,
) -> None:
    """Move this conversation's rows from "now" to the planned times.

    Direct .update() calls on rows this loader has just created, and only on their
    timestamps: each step's messages and events (told apart by sequence) take the step's
    time, and the conversation's clocks are recomputed from them as the services would
    have set them had the steps happened then.
    """
    stamp = Case(
        *(When(sequence__lte=sequence, then=Value(at)) for sequence, at in marks),
        output_field=DateTimeField(),
    )
    Message.objects.filter(conversation=conversation).update(created_at=stamp, updated_at=stamp)
    ConversationEvent.objects.filter(conversation=conversation).update(
        created_at=stamp, updated_at=stamp
    )
    message_time = Subquery(
        Message.objects.filter(pk=OuterRef("message_id")).values("created_at")[:1]
    )
    Attachment.objects.filter(conversation=conversation).update(
        created_at=message_time, updated_at=message_time
    )
    started_at = plan.steps[0].at
    Participant.objects.filter(conversation=conversation).update(
        created_at=started_at, updated_at=started_at
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        **_conversation_clocks(conversation, plan, solved_at)
    )


def _conversation_clocks(
    conversation: Conversation, plan: ConversationPlan, solved_at: datetime | None
) -> dict[str, datetime | None]:
    rows = list(
        Message.objects.filter(conversation=conversation)
        .exclude(kind=MessageKind.NOTE)
        .order_by("sequence")
        .values_list("kind", "created_at")
    )
    inbound = [at for kind, at in rows if kind == MessageKind.INBOUND]
    outbound = [at for kind, at in rows if kind == MessageKind.OUTBOUND]
    clocks: dict[str, datetime | None] = {
        "created_at": plan.steps[0].at,
        "updated_at": plan.steps[-1].at,
        "last_message_at": rows[-1][1],
        "last_customer_message_at": inbound[-1],
    }
    if conversation.first_response_at is not None:
        clocks["first_response_at"] = outbound[0]
    if conversation.waiting_since is not None:
        # The wait began with the first customer message after the last reply.
        clocks["waiting_since"] = next(
            (at for at in inbound if not outbound or at > outbound[-1]), inbound[-1]
        )
    if conversation.solved_at is not None:
        clocks["solved_at"] = solved_at
    return clocks
