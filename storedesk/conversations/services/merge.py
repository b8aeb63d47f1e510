"""Merging conversations, blocking senders and bulk actions from the inbox list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from storedesk.accounts.models import User
from storedesk.conversations.enums import ConversationStatus, EventType, ParticipantRole
from storedesk.conversations.models import Attachment, Conversation, Participant
from storedesk.conversations.services.changes import (
    conversation_assign,
    conversation_set_tags,
    conversation_transition,
)
from storedesk.conversations.services.timeline import (
    conversation_publish_update,
    event_record,
    sequence_take_next,
    timeline_publish,
)
from storedesk.customers.services import customer_set_blocked


@transaction.atomic
def conversation_merge(*, source: Conversation, target: Conversation, actor: User) -> Conversation:
    """Move every message of `source` to the end of `target`'s timeline and close `source`.

    Messages take new sequence numbers in the target; the source keeps its events and a
    MERGED_INTO event pointing at the target. The source's participants join the target.
    """
    if source.pk == target.pk:
        raise ValidationError(_("A conversation cannot be merged into itself."))
    locked = {
        c.pk: c
        for c in Conversation.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id is not None:
        raise ValidationError(_("This conversation was already merged."))
    moved = list(source.messages.order_by("sequence"))
    for message in moved:
        message.conversation = target
        message.sequence = sequence_take_next(target)
        message.save(update_fields=["conversation", "sequence", "updated_at"])
        timeline_publish(conversation=target, sequence=message.sequence)
    Attachment.objects.filter(conversation=source).update(conversation=target)
    for participant in source.participants.all():
        Participant.objects.get_or_create(
            conversation=target,
            customer=participant.customer,
            defaults={"role": ParticipantRole.CC},
        )
    target.message_count += len(moved)
    target.save(update_fields=["message_count", "updated_at"])
    event_record(
        conversation=target,
        type=EventType.MERGED_FROM,
        actor=actor,
        data={"number": source.number, "messages": len(moved)},
    )
    source.merged_into = target
    source.message_count = 0
    source.save(update_fields=["merged_into", "message_count", "updated_at"])
    event_record(
        conversation=source,
        type=EventType.MERGED_INTO,
        actor=actor,
        data={"number": target.number},
    )
    if source.can_transition_to(ConversationStatus.CLOSED):
        conversation_transition(conversation=source, status=ConversationStatus.CLOSED, actor=actor)
    conversation_publish_update(conversation=target, fields=["message_count"])
    return target


@transaction.atomic
def conversation_block_sender(*, conversation: Conversation, actor: User) -> Conversation:
    """Block the requester: this conversation goes to spam, and so will their next ones."""
    customer_set_blocked(customer=conversation.customer, is_blocked=True)
    event_record(
        conversation=conversation,
        type=EventType.SENDER_BLOCKED,
        actor=actor,
        data={"customer": conversation.customer_id},
    )
    if conversation.can_transition_to(ConversationStatus.SPAM):
        conversation = conversation_transition(
            conversation=conversation, status=ConversationStatus.SPAM, actor=actor
        )
    return conversation


@dataclass(frozen=True)
class BulkResult:
    changed: int
    skipped: int


def conversation_bulk_update(
    *,
    conversations: Sequence[Conversation],
    actor: User,
    status: str = "",
    assignee: User | None = None,
    unassign: bool = False,
    add_tag: str = "",
) -> BulkResult:
    """Apply one change to many conversations; each in its own transaction.

    A conversation the change does not fit (a status transition it may not make) is
    skipped and counted, and the others still change.
    """
    changed = skipped = 0
    for conversation in conversations:
        try:
            _bulk_apply_one(conversation, actor, status, assignee, unassign, add_tag)
            changed += 1
        except ValidationError:
            skipped += 1
    return BulkResult(changed=changed, skipped=skipped)


def _bulk_apply_one(
    conversation: Conversation,
    actor: User,
    status: str,
    assignee: User | None,
    unassign: bool,
    add_tag: str,
) -> None:
    if status:
        conversation_transition(conversation=conversation, status=status, actor=actor)
    if assignee is not None or unassign:
        conversation_assign(conversation=conversation, assignee=assignee, actor=actor)
    if add_tag:
        names = [*conversation.tags.values_list("name", flat=True), add_tag]
        conversation_set_tags(conversation=conversation, names=names, actor=actor)
