"""The conversation (ticket): every contact on every channel becomes one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from storedesk.accounts.models import Team
from storedesk.brands.models import Brand
from storedesk.conversations.enums import (
    ALLOWED_TRANSITIONS,
    WORKING_STATUSES,
    ConversationStatus,
    ParticipantRole,
    Priority,
)
from storedesk.core.models import BaseModel
from storedesk.customers.models import Customer
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox


class Tag(BaseModel):
    name = models.CharField(_("name"), max_length=64, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#64748b")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConversationCounter(models.Model):
    """One row holding the last conversation number handed out."""

    value = models.PositiveIntegerField(default=1000)

    def __str__(self) -> str:
        return str(self.value)


class Conversation(BaseModel):
    number = models.PositiveIntegerField(_("number"), unique=True)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="conversations")
    # db_index=False on inbox, customer, team and assignee: the Meta indexes lead with each,
    # so an index of its own would only cost every write (SQLite and PostgreSQL use the
    # leading column of a composite index alike).
    inbox = models.ForeignKey(
        Inbox, on_delete=models.PROTECT, related_name="conversations", db_index=False
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="conversations", db_index=False
    )
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ConversationStatus.choices,
        default=ConversationStatus.NEW,
    )
    status_before_removal = models.CharField(max_length=16, blank=True)
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
        db_index=False,
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    language = models.CharField(_("language"), max_length=10, blank=True)
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    # None: follow the customer's own preference.
    notify_customer = models.BooleanField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_from"
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(default=timezone.now)
    solved_at = models.DateTimeField(null=True, blank=True)
    # Set while the customer waits for an agent; the "longest waiting" sort reads it.
    waiting_since = models.DateTimeField(null=True, blank=True)
    last_sequence = models.PositiveIntegerField(default=0)
    message_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-last_message_at"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            models.Index(fields=["-last_message_at"], name="conv_recent"),
            # The open tab is two statuses, so (status, sort key) indexes cannot return it in
            # order; these serve its list, previous/next links and count (bench/inbox.py).
            models.Index(
                fields=["waiting_since", "-last_message_at"],
                name="conv_open_waiting",
                condition=models.Q(status__in=["new", "open"]),
            ),
            models.Index(
                fields=["-last_message_at"],
                name="conv_open_recent",
                condition=models.Q(status__in=["new", "open"]),
            ),
            models.Index(
                fields=["waiting_since"],
                name="conv_waiting",
                condition=models.Q(waiting_since__isnull=False),
            ),
            models.Index(fields=["status", "-last_message_at"], name="conv_status_recent"),
            models.Index(fields=["status", "waiting_since"], name="conv_status_waiting"),
            models.Index(fields=["inbox", "status", "-last_message_at"], name="conv_inbox_recent"),
            models.Index(fields=["inbox", "status", "waiting_since"], name="conv_inbox_waiting"),
            models.Index(fields=["team", "status", "-last_message_at"], name="conv_team_recent"),
            models.Index(fields=["team", "status", "waiting_since"], name="conv_team_waiting"),
            models.Index(
                fields=["assignee", "status", "-last_message_at"], name="conv_assignee_recent"
            ),
            models.Index(
                fields=["assignee", "status", "waiting_since"], name="conv_assignee_waiting"
            ),
            models.Index(fields=["customer", "-last_message_at"], name="conv_customer_recent"),
            models.Index(
                fields=["snoozed_until"],
                name="conv_snoozed",
                condition=models.Q(snoozed_until__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    def can_transition_to(self, status: str) -> bool:
        return status in ALLOWED_TRANSITIONS[self.status]

    @property
    def is_removed(self) -> bool:
        return self.status in (ConversationStatus.SPAM, ConversationStatus.TRASH)

    @property
    def is_working(self) -> bool:
        return self.status in WORKING_STATUSES

    @property
    def is_snoozed(self) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > timezone.now()

    def customer_wants_updates(self) -> bool:
        if self.notify_customer is not None:
            return self.notify_customer
        return self.customer.notify_on_update


class Participant(BaseModel):
    """The requester and everyone CC'd on a conversation."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="participations")
    role = models.CharField(max_length=16, choices=ParticipantRole.choices)

    class Meta:
        ordering = ["role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "customer"], name="participant_unique"),
        ]


class SavedView(BaseModel):
    """A named set of inbox filters an agent keeps (the query string of the inbox page)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(max_length=1000)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
