"""Publishing live events to browsers through the channel layer, only after commit.

A service never sends directly: a rolled-back transaction must not show anything to anyone.
Group names are built here so that who receives what is decided in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from storedesk.core.realtime_events import RealtimeEvent

logger = logging.getLogger(__name__)


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def inbox_agents_group(inbox_id: int) -> str:
    return f"inbox.{inbox_id}.agents"


def agent_group(user_id: int) -> str:
    return f"agent.{user_id}"


def layer_message(events: Sequence[RealtimeEvent]) -> dict[str, Any]:
    """The channel layer message that carries `events`, in order, to a group's consumers
    (their `realtime_events` handler, core/consumers.py).

    Several events of one commit travel as one message per group: each message costs the
    layer a publish and a delivery to every member, whatever it carries.
    """
    return {"type": "realtime.events", "events": [event.as_dict() for event in events]}


def publish_now(groups: list[str], event: RealtimeEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = layer_message([event])
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # a lost live update must never break the write that caused it
            logger.exception("realtime.publish.failed", extra={"group": group})


def publish_on_commit(groups: list[str], event: RealtimeEvent) -> None:
    """Send `event` to every group once the surrounding transaction commits."""
    transaction.on_commit(lambda: publish_now(groups, event))
