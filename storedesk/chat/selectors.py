"""Reads of live chat: timeline entries per audience, chat state, queue, seats, context."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, Literal, TypedDict

from django.conf import settings
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from storedesk.accounts.enums import AgentStatus
from storedesk.accounts.models import User
from storedesk.chat.enums import SEATED_STATES, ChatState
from storedesk.chat.models import Chat, ChatWidget, VisitorSession
from storedesk.conversations.access import conversations_visible_to_agent
from storedesk.conversations.enums import MessageKind
from storedesk.conversations.models import Attachment, Conversation, Message
from storedesk.conversations.selectors import (
    TimelineEntry,
    timeline_for_agent,
    timeline_for_customer,
)
from storedesk.conversations.services.messages import SIGNATURE_SEPARATOR
from storedesk.routing.business_hours import is_open
from storedesk.routing.selectors import (
    brand_time_zone,
    business_hours_get_for_inbox,
    response_target_get_for_inbox,
    schedule_load,
)

# Handling times of this many recently ended chats give the estimated wait.
HANDLING_SAMPLE_SIZE = 20
HANDLING_SAMPLE_DAYS = 7
# Until a team has ended a chat, assume this (five minutes) per chat.
DEFAULT_HANDLING_SECONDS = 300


class AgentDict(TypedDict):
    name: str
    avatar_url: str


class ChatStateDict(TypedDict):
    conversation: int
    state: str
    position: int | None
    estimated_wait_seconds: int | None
    agent: AgentDict | None
    last_sequence: int
    agent_read_sequence: int


class AttachmentDict(TypedDict):
    id: int
    name: str
    size: int
    content_type: str


class EventDict(TypedDict):
    type: str
    data: dict[str, Any]


class EntryDict(TypedDict):
    sequence: int
    kind: str
    author: str
    author_name: str
    avatar_url: str
    text: str
    attachments: list[AttachmentDict]
    client_id: str
    created_at: str
    event: EventDict | None


Audience = Literal["visitor", "agent"]
# Visitor and agent client ids are stored with these prefixes, so neither side can
# collide with (or retrieve by guessing) the other's messages.
CLIENT_ID_PREFIX: dict[Audience, str] = {"visitor": "v:", "agent": "a:"}


def _avatar_url(user: User | None) -> str:
    # Absolute: the widget runs on the shop's pages, not on the desk's origin.
    if user is None or not user.avatar:
        return ""
    return str(settings.BASE_URL).rstrip("/") + str(user.avatar.url)


def _message_text(message: Message) -> str:
    # Chat lines are conversational: the agent's email signature stays in the stored
    # message (the transcript of record) but is not repeated under every chat line.
    if message.kind == MessageKind.OUTBOUND:
        return message.text.split(SIGNATURE_SEPARATOR, 1)[0]
    return message.text


def _client_id(message: Message) -> str:
    for prefix in CLIENT_ID_PREFIX.values():
        if message.client_id.startswith(prefix):
            return message.client_id[len(prefix) :]
    return message.client_id


def message_entry(message: Message, *, attachments: Iterable[Attachment]) -> EntryDict:
    """A message as a timeline entry; `attachments` passed in, so a message just written
    (whose files the writer knows) is serialised without a query."""
    is_agent = message.kind != MessageKind.INBOUND
    return {
        "sequence": message.sequence,
        "kind": "note" if message.is_note else "message",
        "author": "agent" if is_agent else "visitor",
        "author_name": message.author_name,
        "avatar_url": _avatar_url(message.author_user),
        "text": _message_text(message),
        "attachments": [
            {"id": a.pk, "name": a.filename, "size": a.size, "content_type": a.content_type}
            for a in attachments
        ],
        "client_id": _client_id(message),
        "created_at": message.created_at.isoformat(),
        "event": None,
    }


def entry_dict(entry: TimelineEntry) -> EntryDict:
    """One timeline entry as JSON for the widget and the console; text is plain text."""
    if entry.message is not None:
        return message_entry(entry.message, attachments=entry.message.attachments.all())
    assert entry.event is not None
    event = entry.event
    return {
        "sequence": entry.sequence,
        "kind": "event",
        "author": "system",
        "author_name": event.actor.name if event.actor else "",
        "avatar_url": "",
        "text": str(event.get_type_display()),
        "attachments": [],
        "client_id": "",
        "created_at": event.created_at.isoformat(),
        "event": {"type": event.type, "data": event.data},
    }


def chat_entries_for_visitor(*, chat: Chat, after: int) -> list[EntryDict]:
    """The visitor's messages and agents' replies after `after`: no notes, no events."""
    return [
        entry_dict(e) for e in timeline_for_customer(conversation=chat.conversation, after=after)
    ]


def chat_entries_for_agent(*, chat: Chat, after: int) -> list[EntryDict]:
    return [entry_dict(e) for e in timeline_for_agent(conversation=chat.conversation, after=after)]


def chat_get(chat_id: int) -> Chat | None:
    return (
        Chat.objects.select_related("conversation", "agent", "visitor", "widget__inbox")
        .filter(pk=chat_id)
        .first()
    )


def team_is(team_id: int | None) -> Q:
    return Q(team__isnull=True) if team_id is None else Q(team_id=team_id)


def queued_chats(team_id: int | None) -> QuerySet[Chat]:
    """The queue of a team, oldest first (the order seats are given in)."""
    return Chat.objects.filter(team_is(team_id), state=ChatState.QUEUED).order_by("queued_at", "pk")


def online_agents(team_id: int | None) -> QuerySet[User]:
    # A chat without a team has nobody to take it (it waits until it is transferred).
    if team_id is None:
        return User.objects.none()
    return User.objects.filter(teams=team_id, status=AgentStatus.ONLINE, is_active=True)


def handling_seconds(team_id: int | None) -> float:
    """Mean seat time of the team's recently ended chats."""
    since = timezone.now() - timedelta(days=HANDLING_SAMPLE_DAYS)
    spans = (
        Chat.objects.filter(
            team_is(team_id), ended_at__gte=since, assigned_at__isnull=False, agent__isnull=False
        )
        .order_by("-ended_at")
        .values_list("assigned_at", "ended_at")[:HANDLING_SAMPLE_SIZE]
    )
    seconds = [
        (ended - assigned).total_seconds() for assigned, ended in spans if ended and assigned
    ]
    return sum(seconds) / len(seconds) if seconds else DEFAULT_HANDLING_SECONDS


@dataclass(frozen=True)
class QueueEstimate:
    """Seats free at `seats / handling_seconds` a second, so position p waits p times that."""

    handling_seconds: float
    seats: int

    def wait_seconds(self, position: int) -> int | None:
        if self.seats == 0:
            return None
        return math.ceil(position * self.handling_seconds / self.seats)


def queue_estimate(team_id: int | None) -> QueueEstimate:
    seats = online_agents(team_id).aggregate(total=Sum("chat_capacity"))["total"] or 0
    return QueueEstimate(handling_seconds=handling_seconds(team_id), seats=seats)


def chat_state(
    *, chat: Chat, position: int | None = None, estimate: QueueEstimate | None = None
) -> ChatStateDict:
    """What the visitor sees of their chat. Pass position/estimate when computing a whole queue."""
    if chat.state == ChatState.QUEUED and position is None:
        ahead = queued_chats(chat.team_id).filter(
            Q(queued_at__lt=chat.queued_at) | Q(queued_at=chat.queued_at, pk__lt=chat.pk)
        )
        position = ahead.count() + 1
    if chat.state == ChatState.QUEUED:
        estimate = estimate or queue_estimate(chat.team_id)
    agent: AgentDict | None = None
    if chat.agent is not None and chat.state in SEATED_STATES:
        agent = {"name": chat.agent.name, "avatar_url": _avatar_url(chat.agent)}
    last_sequence = Conversation.objects.values_list("last_sequence", flat=True).get(pk=chat.pk)
    return {
        "conversation": chat.pk,
        "state": chat.state,
        "position": position if chat.state == ChatState.QUEUED else None,
        "estimated_wait_seconds": (
            estimate.wait_seconds(position) if estimate and position is not None else None
        ),
        "agent": agent,
        "last_sequence": last_sequence,
        "agent_read_sequence": chat.agent_read_sequence,
    }


def widget_is_online(widget: ChatWidget) -> bool:
    """Someone can answer now: an agent of the inbox's team is online, within business hours."""
    inbox = widget.inbox
    business_hours = business_hours_get_for_inbox(inbox, response_target_get_for_inbox(inbox))
    schedule = schedule_load(business_hours, time_zone=brand_time_zone(inbox.brand))
    return is_open(schedule, timezone.now()) and online_agents(inbox.team_id).exists()


def chat_open_for_visitor(session: VisitorSession) -> Chat | None:
    return (
        Chat.objects.select_related(
            "conversation__customer", "agent", "visitor", "widget__inbox"
        )
        .filter(visitor=session)
        .exclude(state=ChatState.ENDED)
        .order_by("-queued_at")
        .first()
    )


class ChatSummary(TypedDict):
    conversation: int
    number: int
    state: str
    visitor_name: str
    agent_id: int | None
    inbox_id: int
    team_id: int | None
    queued_at: str
    assigned_at: str | None
    last_sequence: int
    current_url: str


def chat_summary(chat: Chat) -> ChatSummary:
    return {
        "conversation": chat.pk,
        "number": chat.conversation.number,
        "state": chat.state,
        "visitor_name": str(chat.conversation.customer),
        "agent_id": chat.agent_id,
        "inbox_id": chat.conversation.inbox_id,
        "team_id": chat.team_id,
        "queued_at": chat.queued_at.isoformat(),
        "assigned_at": chat.assigned_at.isoformat() if chat.assigned_at else None,
        "last_sequence": chat.conversation.last_sequence,
        "current_url": chat.visitor.current_url,
    }


def _with_summary_relations(chats: QuerySet[Chat]) -> QuerySet[Chat]:
    return chats.select_related("conversation__customer", "visitor").prefetch_related(
        "conversation__customer__identities"
    )


def chat_list_active_for_agent(*, agent: User) -> list[ChatSummary]:
    chats = Chat.objects.filter(agent=agent, state__in=SEATED_STATES).order_by("assigned_at")
    return [chat_summary(chat) for chat in _with_summary_relations(chats)]


class QueueRow(ChatSummary):
    position: int


def chat_queue_for_agent(*, agent: User) -> list[QueueRow]:
    """Waiting chats of the agent's teams, oldest first, with each one's place in its queue."""
    team_ids = list(agent.teams.values_list("pk", flat=True))
    chats = Chat.objects.filter(state=ChatState.QUEUED, team_id__in=team_ids).order_by(
        "queued_at", "pk"
    )
    positions: dict[int | None, int] = {}
    rows: list[QueueRow] = []
    for chat in _with_summary_relations(chats):
        positions[chat.team_id] = positions.get(chat.team_id, 0) + 1
        rows.append({**chat_summary(chat), "position": positions[chat.team_id]})
    return rows


class SeatsDict(TypedDict):
    id: int
    status: str
    capacity: int
    active: int


def agent_seats(*, agent: User) -> SeatsDict:
    active = Chat.objects.filter(agent=agent, state__in=SEATED_STATES).count()
    return {
        "id": agent.pk,
        "status": agent.status,
        "capacity": agent.chat_capacity,
        "active": active,
    }


def agent_candidates(team_id: int | None) -> QuerySet[User]:
    """Online agents of the team with a free seat: fewest active chats first, then the one
    whose last chat was given longest ago (never first)."""
    return (
        online_agents(team_id)
        .annotate(
            active=Count("chats", filter=Q(chats__state__in=SEATED_STATES)),
            last_assigned=Max("chats__assigned_at"),
        )
        .filter(active__lt=F("chat_capacity"))
        .order_by("active", F("last_assigned").asc(nulls_first=True), "pk")
    )


@dataclass(frozen=True)
class VisitorContext:
    current_url: str
    current_title: str
    pages: list[dict[str, str]]
    language: str
    earlier_conversations: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def visitor_context_for_agent(*, agent: User, chat: Chat) -> VisitorContext:
    """What the console shows beside a chat: pages of this visit and earlier conversations."""
    visitor = chat.visitor
    earlier = (
        conversations_visible_to_agent(agent)
        .filter(customer_id=chat.conversation.customer_id)
        .exclude(pk=chat.pk)
        .order_by("-last_message_at")
        .values("number", "subject", "status", "channel", "last_message_at")[:10]
    )
    return VisitorContext(
        current_url=visitor.current_url,
        current_title=visitor.current_title,
        pages=list(visitor.pages),
        language=visitor.language,
        earlier_conversations=[
            {**row, "last_message_at": row["last_message_at"].isoformat()} for row in earlier
        ],
    )
