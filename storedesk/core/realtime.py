"""Publishing live events to browsers through the channel layer, only after commit.

A service never sends directly: a rolled-back transaction must not show anything to anyone.
Group names are built here so that who receives what is decided in one place.
"""

from __future__ import annotations

import logging
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


def publish_now(groups: list[str], event: RealtimeEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message: dict[str, Any] = {"type": "realtime.event", "event": event.as_dict()}
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # a lost live update must never break the write that caused it
            logger.exception("realtime.publish.failed", extra={"group": group})


def publish_on_commit(groups: list[str], event: RealtimeEvent) -> None:
    """Send `event` to every group once the surrounding transaction commits."""
    transaction.on_commit(lambda: publish_now(groups, event))
