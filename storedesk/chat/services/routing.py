"""The chat queue: giving waiting chats to agents with a free seat, and taking them back.

Capacity is exact under concurrency: a seat is taken inside a transaction that holds the
chat's row lock and then the agent's row lock (always in that order, so two processes
never deadlock) and counts the agent's seated chats again under that lock. On SQLite the
immediate transactions serialise writers, which gives the same guarantee.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from storedesk.accounts.enums import AgentStatus
from storedesk.accounts.models import User
from storedesk.accounts.services import user_status_set
from storedesk.chat import realtime
from storedesk.chat.enums import SEATED_STATES, ChatState
from storedesk.chat.errors import ChatError
from storedesk.chat.models import Chat
from storedesk.chat.selectors import agent_candidates, queued_chats
from storedesk.conversations.services.changes import conversation_assign

# Chats checked per run of the answer-timeout job.
REASSIGN_BATCH = 200
# The shortest answer timeout a widget allows; older assignments are candidates.
MIN_ANSWER_TIMEOUT_SECONDS = 10


def seat_take(chat: Chat, agent: User, now: datetime) -> bool:
    """Give `chat` (row-locked, queued) to `agent` if a seat is still free under lock."""
    agent = User.objects.select_for_update().get(pk=agent.pk)
    if agent.status != AgentStatus.ONLINE or not agent.is_active:
        return False
    if Chat.objects.filter(agent=agent, state__in=SEATED_STATES).count() >= agent.chat_capacity:
        return False
    chat.state, chat.agent, chat.assigned_at, chat.answered_at = (
        ChatState.ASSIGNED,
        agent,
        now,
        None,
    )
    chat.save(update_fields=["state", "agent", "assigned_at", "answered_at"])
    conversation_assign(conversation=chat.conversation, assignee=agent, actor=None)
    return True


@transaction.atomic
def _assign_one(chat_id: int, *, exclude: Iterable[int] = ()) -> Chat | None:
    chat = (
        Chat.objects.select_for_update(of=("self",))
        .select_related("conversation__customer", "visitor")
        .filter(pk=chat_id)
        .first()
    )
    if chat is None or chat.state != ChatState.QUEUED:
        return None
    now = timezone.now()
    for candidate in agent_candidates(chat.team_id).exclude(pk__in=list(exclude)):
        if seat_take(chat, candidate, now):
            realtime.assigned_publish(chat)
            realtime.state_publish(chat)
            return chat
    return None


def chat_queue_dispatch(*, team_ids: Iterable[int | None]) -> list[Chat]:
    """Give each team's waiting chats, oldest first, to free seats until none is left.

    Each assignment is its own transaction. Side effects: ASSIGNED events (through
    conversation_assign), `chat.assigned` to the agent, `chat.state` to the visitor, and
    new positions to everyone still waiting (`chat.state`, `chat.queue_changed`).
    """
    assigned: list[Chat] = []
    for team_id in set(team_ids):
        for chat_id in list(queued_chats(team_id).values_list("pk", flat=True)):
            chat = _assign_one(chat_id)
            if chat is not None:
                assigned.append(chat)
            elif queued_chats(team_id).filter(pk=chat_id).exists():
                break  # the oldest could not be seated: nobody younger may jump it
            # else another process seated or ended it meanwhile: on to the next
        realtime.queue_publish(team_id)
    return assigned


def agent_availability_set(*, agent: User, status: str) -> None:
    """Set online/away/offline. Going online fills free seats from the agent's queues at once;
    going away or offline keeps the chats the agent has and offers no new ones."""
    user_status_set(user=agent, status=status)
    realtime.seats_publish(agent)
    if status == AgentStatus.ONLINE:
        chat_queue_dispatch(team_ids=agent.teams.values_list("pk", flat=True))


def agent_capacity_set(*, agent: User, capacity: int) -> None:
    """How many chats the agent takes at once (1-10); more seats are filled at once."""
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 10:
        raise ChatError("invalid", _("Capacity is between 1 and 10 chats."))
    added = capacity > agent.chat_capacity
    agent.chat_capacity = capacity
    agent.save(update_fields=["chat_capacity"])
    realtime.seats_publish(agent)
    if added and agent.status == AgentStatus.ONLINE:
        chat_queue_dispatch(team_ids=agent.teams.values_list("pk", flat=True))


def chat_reassign_unanswered(*, now: datetime | None = None) -> int:
    """Chats whose agent has not answered within the widget's timeout go to the next agent;
    the agent who let it time out is set away. Returns how many were taken back.

    Side effects: the agent's status (away) and `chat.unassigned`; an ASSIGNED event; the
    chat is queued again with its original place and dispatched at once.
    """
    now = now or timezone.now()
    candidates = Chat.objects.filter(
        state=ChatState.ASSIGNED,
        assigned_at__lte=now - timedelta(seconds=MIN_ANSWER_TIMEOUT_SECONDS),
    ).values_list("pk", flat=True)[:REASSIGN_BATCH]
    taken_back = [taken for chat_id in list(candidates) if (taken := _take_back(chat_id, now))]
    for chat, agent_id in taken_back:
        # Someone else first: the agent who timed out is away now and not a candidate anyway,
        # but excluding them also covers an agent who sets themself online again at once.
        if _assign_one(chat.pk, exclude=[agent_id]) is None:
            realtime.queue_publish(chat.team_id)
    return len(taken_back)


@transaction.atomic
def _take_back(chat_id: int, now: datetime) -> tuple[Chat, int] | None:
    chat = (
        Chat.objects.select_for_update(of=("self",))
        .select_related("widget", "agent", "visitor")
        .get(pk=chat_id)
    )
    deadline = timedelta(seconds=chat.widget.answer_timeout_seconds)
    if chat.state != ChatState.ASSIGNED or chat.assigned_at is None or chat.agent is None:
        return None
    if chat.assigned_at + deadline > now:
        return None
    agent = chat.agent
    chat.state, chat.agent, chat.assigned_at = ChatState.QUEUED, None, None
    chat.save(update_fields=["state", "agent", "assigned_at"])
    conversation_assign(conversation=chat.conversation, assignee=None, actor=None)
    user_status_set(user=agent, status=AgentStatus.AWAY)
    realtime.unassigned_publish(chat, agent)
    return chat, agent.pk
