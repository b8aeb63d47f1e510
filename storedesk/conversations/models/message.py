"""Timeline entries: messages (inbound, outbound, notes) and events. Both take the
conversation's next sequence number when written."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from storedesk.conversations.enums import DeliveryStatus, EventType, MessageKind
from storedesk.conversations.models.conversation import Conversation
from storedesk.core.models import BaseModel
from storedesk.customers.models import Customer


class Message(BaseModel):
    # Not indexed alone: message_sequence_unique leads with it (so does event_sequence_unique
    # for events).
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=MessageKind.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    author_customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    cc = models.JSONField(default=list, blank=True)
    delivery_status = models.CharField(max_length=16, choices=DeliveryStatus.choices, blank=True)
    channel_metadata = models.JSONField(default=dict, blank=True)
    # Set by a client (chat widget, agent page) so a retried send stores one message.
    client_id = models.CharField(max_length=64, blank=True)
    # On a conversation's opening message: its subject and the customer's name and
    # address, searched with the text, so search is one semi-join over messages
    # (conversations/search.py); blank on every other message.
    search_header = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["conversation", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "sequence"], name="message_sequence_unique"
            ),
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                name="message_client_id_unique",
                condition=~models.Q(client_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.sequence}"

    @property
    def author_name(self) -> str:
        if self.author_user is not None:
            return self.author_user.name
        if self.author_customer is not None:
            return str(self.author_customer)
        return ""

    @property
    def is_note(self) -> bool:
        return self.kind == MessageKind.NOTE


def attachment_path(instance: Attachment, filename: str) -> str:
    # The conversation id in the path keeps a customer's files findable for export/erasure.
    return f"attachments/{instance.conversation_id}/{filename}"


class Attachment(BaseModel):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", null=True, blank=True
    )
    file = models.FileField(upload_to=attachment_path, max_length=500)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class ConversationEvent(BaseModel):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    sequence = models.PositiveIntegerField()
    type = models.CharField(max_length=32, choices=EventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversation_events",
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["conversation", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "sequence"], name="event_sequence_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.sequence}"
