from django.db import models
from django.utils.translation import gettext_lazy as _


class ConversationStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")
    SPAM = "spam", _("Spam")
    TRASH = "trash", _("Trash")


S = ConversationStatus
WORKING_STATUSES = frozenset({S.NEW, S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED})
REMOVED_STATUSES = frozenset({S.SPAM, S.TRASH})
# Closed is final for the customer-facing thread; a new customer message starts a follow-up.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED, S.CLOSED, S.SPAM, S.TRASH}),
    S.OPEN: frozenset({S.PENDING, S.ON_HOLD, S.SOLVED, S.CLOSED, S.SPAM, S.TRASH}),
    S.PENDING: frozenset({S.OPEN, S.ON_HOLD, S.SOLVED, S.CLOSED, S.SPAM, S.TRASH}),
    S.ON_HOLD: frozenset({S.OPEN, S.PENDING, S.SOLVED, S.CLOSED, S.SPAM, S.TRASH}),
    S.SOLVED: frozenset({S.OPEN, S.CLOSED, S.SPAM, S.TRASH}),
    S.CLOSED: frozenset({S.SPAM, S.TRASH}),
    # Spam and trash leave only by restore, which returns to the status held before.
    S.SPAM: frozenset(),
    S.TRASH: frozenset(),
}


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class MessageKind(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    NOTE = "note", _("Note")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class ParticipantRole(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    CC = "cc", _("CC")


class EventType(models.TextChoices):
    CREATED = "created", _("Conversation created")
    STATUS_CHANGED = "status_changed", _("Status changed")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    ASSIGNED = "assigned", _("Assignee changed")
    TEAM_CHANGED = "team_changed", _("Team changed")
    TAGS_CHANGED = "tags_changed", _("Tags changed")
    SNOOZED = "snoozed", _("Snoozed")
    WOKE = "woke", _("Snooze ended")
    MERGED_INTO = "merged_into", _("Merged into another conversation")
    MERGED_FROM = "merged_from", _("Another conversation merged in")
    PARTICIPANT_ADDED = "participant_added", _("Participant added")
    SENDER_BLOCKED = "sender_blocked", _("Sender blocked")
    RESTORED = "restored", _("Restored")
    MESSAGE_BOUNCED = "message_bounced", _("Message bounced")


class InboxSort(models.TextChoices):
    NEWEST = "newest", _("Newest")
    LONGEST_WAITING = "waiting", _("Longest waiting")
