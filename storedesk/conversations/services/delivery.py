"""Delivering an outbound message through the adapter of its conversation's channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from storedesk.conversations.enums import DeliveryStatus, EventType
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.notifications import customer_reply_notify
from storedesk.conversations.services.timeline import conversation_publish_update, event_record
from storedesk.inboxes.channels import channel_adapter_for


def message_deliver(*, message: Message) -> Message:
    """Hand a queued reply to its channel; idempotent (a delivered message is left alone).

    An adapter that only queued the message (the email outbox) returns QUEUED and its
    transport reports the outcome later through `message_delivery_status_set`; an adapter
    that sent at once returns None (or the status it reached). Until a channel has an
    adapter of its own (chat: issue #4), the customer is told by email through core's
    outbound-mail port.
    """
    if message.delivery_status != DeliveryStatus.QUEUED:
        return message
    adapter = channel_adapter_for(message.conversation.channel)
    status: DeliveryStatus | None = None
    if adapter is not None:
        status = adapter.deliver(message)
    else:
        customer_reply_notify(message=message)
    if status == DeliveryStatus.QUEUED:
        return message
    message_delivery_status_set(message_id=message.pk, status=status or DeliveryStatus.SENT)
    message.delivery_status = status or DeliveryStatus.SENT
    return message


@transaction.atomic
def message_delivery_status_set(*, message_id: int, status: DeliveryStatus) -> bool:
    """Move a queued message to `status` (sent, failed ...); True if it changed.

    Only a QUEUED message moves, so a late or repeated report never undoes a later state.
    Publishes a conversation update (fields ["delivery_status"]) after commit.
    """
    changed = Message.objects.filter(pk=message_id, delivery_status=DeliveryStatus.QUEUED).update(
        delivery_status=status
    )
    if changed:
        conversation = Conversation.objects.get(messages__pk=message_id)
        conversation_publish_update(conversation=conversation, fields=["delivery_status"])
    return bool(changed)


# The keys of a bounce the timeline shows; anything else a caller passes is dropped.
BOUNCE_KEYS = ("recipient", "status", "diagnostic", "is_permanent")


@transaction.atomic
def message_bounce_record(*, message: Message, details: Mapping[str, Any]) -> bool:
    """A sent message bounced: mark it and tell the agents in the timeline; True if new.

    `details` holds the bounce's recipient, status ("5.1.1"), diagnostic and is_permanent.
    Side effects: the message's delivery_status becomes BOUNCED and its
    channel_metadata["bounce"] holds the details; a MESSAGE_BOUNCED event (actor None,
    data: the details, the message's sequence and a one-line reason) is recorded on its
    conversation; conversation.updated and timeline.appended are published after commit.
    The same bounce reported twice records nothing the second time.
    """
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("conversation")
        .get(pk=message.pk)
    )
    bounce = {key: details.get(key, "") for key in BOUNCE_KEYS}
    if message.channel_metadata.get("bounce") == bounce:
        return False
    message.delivery_status = DeliveryStatus.BOUNCED
    message.channel_metadata = {**message.channel_metadata, "bounce": bounce}
    message.save(update_fields=["delivery_status", "channel_metadata", "updated_at"])
    conversation = message.conversation
    event_record(
        conversation=conversation,
        type=EventType.MESSAGE_BOUNCED,
        actor=None,
        data={**bounce, "message_sequence": message.sequence, "reason": bounce_reason(bounce)},
    )
    conversation_publish_update(conversation=conversation, fields=["delivery_status"])
    return True


def bounce_reason(bounce: Mapping[str, Any]) -> str:
    """E.g. "5.1.1 user unknown": the status, then the server's words when they add anything."""
    status = str(bounce.get("status") or "")
    diagnostic = " ".join(str(bounce.get("diagnostic") or "").split())
    if status and status in diagnostic:
        return diagnostic
    return " ".join(part for part in (status, diagnostic) if part)
