"""Changing a conversation's status, priority, team, assignee, tags and snooze."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from storedesk.accounts.models import Team, User
from storedesk.conversations.enums import ConversationStatus, EventType, Priority
from storedesk.conversations.models import Conversation, Tag
from storedesk.conversations.services.timeline import conversation_publish_update, event_record


def _lock(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def _save(conversation: Conversation, fields: list[str]) -> None:
    conversation.save(update_fields=[*fields, "updated_at"])
    conversation_publish_update(conversation=conversation, fields=fields)


@transaction.atomic
def conversation_transition(
    *, conversation: Conversation, status: str, actor: User | None
) -> Conversation:
    """Move to `status` if ALLOWED_TRANSITIONS permits; records STATUS_CHANGED.

    Spam and trash remember the status to restore. Solving stamps solved_at; anything
    but new/open stops the customer's wait.
    """
    conversation = _lock(conversation)
    if conversation.status == status:
        return conversation
    if not conversation.can_transition_to(status):
        raise ValidationError(
            _("A conversation cannot go from %(from)s to %(to)s.")
            % {"from": conversation.get_status_display(), "to": ConversationStatus(status).label}
        )
    previous = conversation.status
    fields = ["status"]
    if status in (ConversationStatus.SPAM, ConversationStatus.TRASH):
        conversation.status_before_removal = previous
        fields.append("status_before_removal")
    if status == ConversationStatus.SOLVED:
        conversation.solved_at = timezone.now()
        fields.append("solved_at")
    if status not in (ConversationStatus.NEW, ConversationStatus.OPEN):
        conversation.waiting_since = None
        fields.append("waiting_since")
    conversation.status = status
    event_record(
        conversation=conversation,
        type=EventType.STATUS_CHANGED,
        actor=actor,
        data={"from": previous, "to": status},
    )
    _save(conversation, fields)
    return conversation


@transaction.atomic
def conversation_restore(*, conversation: Conversation, actor: User) -> Conversation:
    """Take a conversation out of spam or trash, back to the status it had."""
    conversation = _lock(conversation)
    if not conversation.is_removed:
        return conversation
    previous = conversation.status
    conversation.status = conversation.status_before_removal or ConversationStatus.OPEN
    conversation.status_before_removal = ""
    event_record(
        conversation=conversation,
        type=EventType.RESTORED,
        actor=actor,
        data={"from": previous, "to": conversation.status},
    )
    _save(conversation, ["status", "status_before_removal"])
    return conversation


@transaction.atomic
def conversation_assign(
    *, conversation: Conversation, assignee: User | None, actor: User | None
) -> Conversation:
    """`actor` None: Storedesk itself (chat routing), so the timeline does not credit the
    assigned agent with taking a chat they were given."""
    conversation = _lock(conversation)
    if conversation.assignee_id == (assignee.pk if assignee else None):
        return conversation
    previous = conversation.assignee_id
    conversation.assignee = assignee
    event_record(
        conversation=conversation,
        type=EventType.ASSIGNED,
        actor=actor,
        data={
            "from": previous,
            "to": assignee.pk if assignee else None,
            "to_name": assignee.name if assignee else "",
        },
    )
    _save(conversation, ["assignee"])
    return conversation


@transaction.atomic
def conversation_set_team(
    *, conversation: Conversation, team: Team | None, actor: User
) -> Conversation:
    conversation = _lock(conversation)
    if conversation.team_id == (team.pk if team else None):
        return conversation
    previous = conversation.team_id
    conversation.team = team
    event_record(
        conversation=conversation,
        type=EventType.TEAM_CHANGED,
        actor=actor,
        data={"from": previous, "to": team.pk if team else None, "to_name": str(team or "")},
    )
    _save(conversation, ["team"])
    return conversation


@transaction.atomic
def conversation_set_priority(
    *, conversation: Conversation, priority: str, actor: User
) -> Conversation:
    priority = Priority(priority)
    conversation = _lock(conversation)
    if conversation.priority == priority:
        return conversation
    previous = conversation.priority
    conversation.priority = priority
    event_record(
        conversation=conversation,
        type=EventType.PRIORITY_CHANGED,
        actor=actor,
        data={"from": previous, "to": priority.value},
    )
    _save(conversation, ["priority"])
    return conversation


def tag_names_normalize(names: Iterable[str]) -> list[str]:
    return sorted({n.strip().lower()[:64] for n in names if n.strip()})


@transaction.atomic
def conversation_set_tags(
    *, conversation: Conversation, names: Iterable[str], actor: User
) -> Conversation:
    conversation = _lock(conversation)
    wanted = tag_names_normalize(names)
    current = sorted(conversation.tags.values_list("name", flat=True))
    if wanted == current:
        return conversation
    tags = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
    conversation.tags.set(tags)
    event_record(
        conversation=conversation,
        type=EventType.TAGS_CHANGED,
        actor=actor,
        data={
            "added": sorted(set(wanted) - set(current)),
            "removed": sorted(set(current) - set(wanted)),
        },
    )
    _save(conversation, [])
    return conversation


@transaction.atomic
def conversation_snooze(
    *, conversation: Conversation, until: datetime | None, actor: User
) -> Conversation:
    """Hide until `until` (None wakes now); conversation_wake_due reopens it on time."""
    if until is not None and until <= timezone.now():
        raise ValidationError(_("Snooze until a time in the future."))
    conversation = _lock(conversation)
    conversation.snoozed_until = until
    event_record(
        conversation=conversation,
        type=EventType.SNOOZED if until else EventType.WOKE,
        actor=actor,
        data={"until": until.isoformat() if until else None},
    )
    _save(conversation, ["snoozed_until"])
    return conversation


def conversation_wake_due(*, now: datetime | None = None) -> int:
    """Reopen every conversation whose snooze has ended. Returns how many woke."""
    now = now or timezone.now()
    due_ids = list(
        Conversation.objects.filter(snoozed_until__lte=now).values_list("pk", flat=True)[:500]
    )
    for conversation_id in due_ids:
        _wake_one(conversation_id, now)
    return len(due_ids)


@transaction.atomic
def _wake_one(conversation_id: int, now: datetime) -> None:
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.snoozed_until is None or conversation.snoozed_until > now:
        return  # woken or re-snoozed by an agent meanwhile
    conversation.snoozed_until = None
    fields = ["snoozed_until"]
    event_record(conversation=conversation, type=EventType.WOKE, actor=None)
    # Closed, spam and trash cannot go back to open; everything else reopens.
    if conversation.can_transition_to(ConversationStatus.OPEN):
        event_record(
            conversation=conversation,
            type=EventType.STATUS_CHANGED,
            actor=None,
            data={"from": conversation.status, "to": ConversationStatus.OPEN},
        )
        conversation.status = ConversationStatus.OPEN
        fields.append("status")
    _save(conversation, fields)


def conversation_notification_override_set(
    *, conversation: Conversation, notify: bool | None
) -> Conversation:
    """The customer's per-conversation mail choice; None follows their own default."""
    conversation.notify_customer = notify
    conversation.save(update_fields=["notify_customer", "updated_at"])
    return conversation
