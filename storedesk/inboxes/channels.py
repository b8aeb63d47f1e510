"""The ChannelAdapter protocol and its registry.

Conversations know only this protocol; each channel app (mail, chat, portal, phone)
registers its adapter in AppConfig.ready(). Code never switches on channel strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from storedesk.conversations.enums import DeliveryStatus
    from storedesk.conversations.models import Message


class ChannelAdapter(Protocol):
    channel: str

    def deliver(self, message: Message) -> DeliveryStatus | None:
        """Send an outbound message to the customer over this channel.

        Return None when the message went out now (it becomes SENT), QUEUED when it only
        entered a durable queue whose transport later calls
        `conversations.services.delivery.message_delivery_status_set` (the email outbox
        after the SMTP server's 250), or another status (FAILED) to record it as is.
        Must be idempotent: a retried delivery task calls it again for the same message.
        """


_registry: dict[str, ChannelAdapter] = {}


def channel_adapter_register(adapter: ChannelAdapter) -> None:
    _registry[adapter.channel] = adapter


def channel_adapter_for(channel: str) -> ChannelAdapter | None:
    return _registry.get(channel)
