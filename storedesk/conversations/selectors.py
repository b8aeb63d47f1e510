"""Reads shared by the workspace views, the portal and (later) the API."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Substr
from django.utils import timezone

from storedesk.accounts.models import Team, User
from storedesk.brands.models import Brand
from storedesk.conversations.access import conversations_visible_to_agent, visible_inbox_ids
from storedesk.conversations.enums import (
    ConversationStatus,
    InboxSort,
    MessageKind,
)
from storedesk.conversations.models import (
    Attachment,
    Conversation,
    ConversationEvent,
    Message,
    SavedView,
    Tag,
)
from storedesk.conversations.search import conversation_search_filter
from storedesk.customers.enums import IdentityKind
from storedesk.customers.models import CustomerIdentity
from storedesk.inboxes.models import Inbox

S = ConversationStatus
# The status tabs of the inbox: a name and the statuses it shows.
STATUS_VIEWS: dict[str, tuple[str, ...]] = {
    "open": (S.NEW, S.OPEN),
    "pending": (S.PENDING,),
    "on_hold": (S.ON_HOLD,),
    "solved": (S.SOLVED,),
    "closed": (S.CLOSED,),
    "spam": (S.SPAM,),
    "trash": (S.TRASH,),
}
COUNT_CAP = 100
SNIPPET_CHARS = 160


@dataclass(frozen=True)
class InboxFilters:
    status: str = "open"  # a key of STATUS_VIEWS, "snoozed" or "all"
    brand_id: int | None = None
    inbox_id: int | None = None
    team_id: int | None = None
    assignee: str = ""  # "", "me", "unassigned" or a user id
    tag: str = ""
    language: str = ""
    channel: str = ""
    query: str = ""
    sort: str = InboxSort.NEWEST


def _status_filter(queryset: QuerySet[Conversation], status: str) -> QuerySet[Conversation]:
    now = timezone.now()
    if status == "snoozed":
        return queryset.filter(snoozed_until__gt=now)
    if status == "all":
        return queryset.exclude(status__in=[S.SPAM, S.TRASH])
    statuses = STATUS_VIEWS.get(status, STATUS_VIEWS["open"])
    queryset = (
        queryset.filter(status__in=statuses)
        if len(statuses) > 1
        else queryset.filter(status=statuses[0])
    )
    if status in ("open", "pending", "on_hold"):
        queryset = queryset.filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
    return queryset


def _field_filters(
    queryset: QuerySet[Conversation], filters: InboxFilters, agent: User
) -> QuerySet[Conversation]:
    exact = {
        "brand_id": filters.brand_id,
        "inbox_id": filters.inbox_id,
        "team_id": filters.team_id,
        "language": filters.language,
        "channel": filters.channel,
    }
    queryset = queryset.filter(**{k: v for k, v in exact.items() if v})
    if filters.assignee == "me":
        queryset = queryset.filter(assignee=agent)
    elif filters.assignee == "unassigned":
        queryset = queryset.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        queryset = queryset.filter(assignee_id=int(filters.assignee))
    if filters.tag:
        queryset = queryset.filter(tags__name=filters.tag)
    return conversation_search_filter(queryset, filters.query)


def conversation_list_for_agent(
    *, agent: User, filters: InboxFilters, include_status: bool = True
) -> QuerySet[Conversation]:
    queryset = _field_filters(conversations_visible_to_agent(agent), filters, agent)
    if include_status:
        queryset = _status_filter(queryset, filters.status)
    if filters.sort == InboxSort.LONGEST_WAITING:
        return queryset.order_by(F("waiting_since").asc(nulls_last=True), "-last_message_at")
    return queryset.order_by("-last_message_at")


ROW_FIELDS = (
    "number",
    "subject",
    "status",
    "priority",
    "channel",
    "waiting_since",
    "last_message_at",
    "snoozed_until",
    "customer__name",
    "customer__avatar_color",
    "assignee__username",
    "assignee__display_name",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__avatar",
)


def conversation_page_for_agent(
    *, agent: User, filters: InboxFilters, limit: int = 50, offset: int = 0
) -> list[Conversation]:
    """One page of the inbox list.

    Each row carries `snippet` (its last message's start), `customer_email` and
    `row_tags`. Tags come from one query for the page rather than prefetch_related, whose
    per-row managers cost more than the page's SQL at 1M conversations (bench/inbox.py).
    """
    last_text = (
        Message.objects.filter(conversation=OuterRef("pk"))
        .exclude(kind=MessageKind.NOTE)
        .order_by("-sequence")
        .values("text")[:1]
    )
    first_email = (
        CustomerIdentity.objects.filter(customer=OuterRef("customer_id"), kind=IdentityKind.EMAIL)
        .order_by("value")
        .values("value")[:1]
    )
    rows: list[Conversation] = list(
        conversation_list_for_agent(agent=agent, filters=filters)
        .select_related("customer", "assignee")
        .only(*ROW_FIELDS)
        .annotate(
            snippet=Substr(Subquery(last_text), 1, SNIPPET_CHARS),
            customer_email=Subquery(first_email),
        )[offset : offset + limit]
    )
    tags_by_conversation: dict[int, list[Tag]] = {row.pk: [] for row in rows}
    links = Conversation.tags.through.objects.filter(conversation_id__in=tags_by_conversation)
    for link in links.select_related("tag").order_by("tag__name"):
        tags_by_conversation[link.conversation_id].append(link.tag)
    for row in rows:
        row.row_tags = tags_by_conversation[row.pk]  # type: ignore[attr-defined]
    return rows


@dataclass(frozen=True)
class InboxPage:
    conversations: list[Conversation]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def inbox_page_for_agent(
    *, agent: User, filters: InboxFilters, page: int = 1, per_page: int = 50
) -> InboxPage:
    """Fetches one row more than shown to know whether a next page exists, without COUNT."""
    page = max(page, 1)
    rows = conversation_page_for_agent(
        agent=agent, filters=filters, limit=per_page + 1, offset=(page - 1) * per_page
    )
    return InboxPage(conversations=rows[:per_page], number=page, has_next=len(rows) > per_page)


@dataclass(frozen=True)
class ViewCount:
    status: str
    count: int
    is_capped: bool

    @property
    def label(self) -> str:
        return f"{COUNT_CAP - 1}+" if self.is_capped else str(self.count)


def _capped_counts(querysets: dict[str, QuerySet[Conversation]]) -> dict[str, ViewCount]:
    """Each queryset's row count up to COUNT_CAP, all in one round trip to the database.

    Every count is `COUNT(*)` over a `LIMIT COUNT_CAP` subquery, so none reads more than
    COUNT_CAP index entries however many conversations match.
    """
    parts: list[str] = []
    params: list[Any] = []
    for queryset in querysets.values():
        sql, sql_params = queryset.order_by().values("pk")[:COUNT_CAP].query.sql_with_params()
        # `sql` is Django's own compiled query; every value travels separately in params.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) capped)")  # noqa: S608
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {
        name: ViewCount(status=name, count=count, is_capped=count >= COUNT_CAP)
        for name, count in zip(querysets, row, strict=True)
    }


# Counts are a glance at the queue, not a ledger: helpdesks show them a little late (Zendesk
# view counts refresh every few minutes). Ten seconds saves their two queries, over half the
# inbox page's database time at 1M conversations (bench/inbox.py), on every reload and
# list change, while the list itself is always read fresh.
COUNTS_CACHE_SECONDS = 10


def _cached_counts(key: str, read: Callable[[], dict[str, ViewCount]]) -> dict[str, ViewCount]:
    cached = cache.get(key)
    if isinstance(cached, dict):
        return cached
    counts = read()
    cache.set(key, counts, COUNTS_CACHE_SECONDS)
    return counts


def conversation_counts_for_agent(*, agent: User, filters: InboxFilters) -> list[ViewCount]:
    """Capped counts per status tab: never a full COUNT over a million rows."""
    # Every filter but the tab and the order changes the counts.
    scope = replace(filters, status="", sort="")
    digest = hashlib.sha256(repr(scope).encode()).hexdigest()[:32]

    def read() -> dict[str, ViewCount]:
        base = conversation_list_for_agent(agent=agent, filters=filters, include_status=False)
        tabs = ("open", "pending", "on_hold", "snoozed", "solved")
        return _capped_counts({tab: _status_filter(base, tab) for tab in tabs})

    return list(_cached_counts(f"conversations:counts:{agent.pk}:{digest}", read).values())


def conversation_shortcut_counts_for_agent(*, agent: User) -> dict[str, ViewCount]:
    """Capped counts of open conversations that are the agent's own, and nobody's."""

    def read() -> dict[str, ViewCount]:
        base = _status_filter(conversations_visible_to_agent(agent), "open")
        return _capped_counts(
            {"mine": base.filter(assignee=agent), "unassigned": base.filter(assignee__isnull=True)}
        )

    return _cached_counts(f"conversations:shortcut-counts:{agent.pk}", read)


@dataclass(frozen=True)
class Choice:
    pk: int
    name: str


@dataclass(frozen=True)
class FilterChoices:
    brands: list[Choice]
    inboxes: list[Choice]
    teams: list[Choice]
    agents: list[Choice]
    tags: list[Choice]


FILTER_CHOICES_CACHE_SECONDS = 60


def inbox_filter_choices_for_agent(*, agent: User) -> FilterChoices:
    """What the inbox filter bar offers: only brands, inboxes and teams the agent can see.

    Kept for a minute per agent: five small queries on every inbox page were a sixth of
    its time (bench/inbox.py), and a new tag or team member may well take a minute to
    appear in a filter list.
    """
    key = f"conversations:filter-choices:{agent.pk}"
    cached = cache.get(key)
    if isinstance(cached, FilterChoices):
        return cached
    choices = _filter_choices_read(agent)
    cache.set(key, choices, FILTER_CHOICES_CACHE_SECONDS)
    return choices


def _filter_choices_read(agent: User) -> FilterChoices:
    inbox_ids = visible_inbox_ids(agent)
    inboxes = Inbox.objects.select_related("brand")
    teams = Team.objects.all()
    if inbox_ids is not None:
        inboxes = inboxes.filter(pk__in=inbox_ids)
        teams = teams.filter(Q(inboxes__in=inbox_ids) | Q(members=agent)).distinct()
    inbox_list = list(inboxes)
    team_list = list(teams)
    brands = Brand.objects.filter(pk__in={inbox.brand_id for inbox in inbox_list})
    agents = User.objects.filter(is_active=True, teams__in=team_list).distinct()
    return FilterChoices(
        brands=[Choice(brand.pk, brand.name) for brand in brands],
        inboxes=[Choice(inbox.pk, str(inbox)) for inbox in inbox_list],
        teams=[Choice(team.pk, team.name) for team in team_list],
        agents=[Choice(person.pk, person.name) for person in agents],
        tags=[Choice(tag.pk, tag.name) for tag in Tag.objects.all()[:200]],
    )


def assignee_choices_for_conversation(*, conversation: Conversation) -> QuerySet[User]:
    """Agents who can see the conversation: members of its inbox's team or its own team."""
    return User.objects.filter(
        Q(teams__inboxes=conversation.inbox_id) | Q(teams=conversation.team_id), is_active=True
    ).distinct()


def saved_view_list_for_agent(*, agent: User) -> list[SavedView]:
    return list(SavedView.objects.filter(owner=agent))


def conversation_list_by_numbers_for_agent(
    *, agent: User, numbers: Iterable[int]
) -> list[Conversation]:
    """The conversations among `numbers` that the agent may see; the rest are ignored."""
    return list(
        conversations_visible_to_agent(agent).filter(number__in=list(numbers)).order_by("number")
    )


@dataclass(frozen=True)
class TimelineEntry:
    sequence: int
    kind: Literal["message", "event"]
    message: Message | None = None
    event: ConversationEvent | None = None
    attachments: tuple[Attachment, ...] = ()


def timeline_for_agent(*, conversation: Conversation, after: int = 0) -> list[TimelineEntry]:
    """Messages, notes and events after sequence `after`, in order."""
    return _timeline(conversation, after, include_notes=True, include_events=True)


def timeline_for_customer(*, conversation: Conversation, after: int = 0) -> list[TimelineEntry]:
    """What a customer may see: their messages and agents' replies, no notes or events."""
    return _timeline(conversation, after, include_notes=False, include_events=False)


def _timeline(
    conversation: Conversation, after: int, *, include_notes: bool, include_events: bool
) -> list[TimelineEntry]:
    messages = conversation.messages.filter(sequence__gt=after).select_related(
        "author_user", "author_customer"
    ).annotate(has_files=Exists(Attachment.objects.filter(message=OuterRef("pk"))))
    if not include_notes:
        messages = messages.exclude(kind=MessageKind.NOTE)
    messages_read = list(messages)
    files = _attachments_by_message([m.pk for m in messages_read if m.has_files])
    entries = [
        TimelineEntry(
            sequence=m.sequence, kind="message", message=m, attachments=files.get(m.pk, ())
        )
        for m in messages_read
    ]
    if include_events:
        events = conversation.events.filter(sequence__gt=after).select_related("actor")
        entries += [TimelineEntry(sequence=e.sequence, kind="event", event=e) for e in events]
    return sorted(entries, key=lambda entry: entry.sequence)


def _attachments_by_message(message_ids: list[int]) -> dict[int, tuple[Attachment, ...]]:
    """Files of the messages that have any: most timelines have none, and then no query."""
    if not message_ids:
        return {}
    by_message: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(message_id__in=message_ids).order_by("pk"):
        by_message.setdefault(attachment.message_id or 0, []).append(attachment)
    return {message_id: tuple(files) for message_id, files in by_message.items()}


def message_delivery_list(*, conversation: Conversation) -> QuerySet[Message]:
    """Messages that have a delivery status (replies), with only what shows it."""
    return (
        conversation.messages.exclude(delivery_status="")
        .only("sequence", "delivery_status")
        .order_by("sequence")
    )


def timeline_sequences_after(*, conversation: Conversation, after: int) -> list[int]:
    """Sequence numbers an agent sees after `after`: what a reconnecting page has missed.

    Only numbers, so the socket never carries content; the page fetches the entries over
    HTTP, where the usual access checks and rendering apply.
    """
    messages = conversation.messages.filter(sequence__gt=after).values_list("sequence", flat=True)
    events = conversation.events.filter(sequence__gt=after).values_list("sequence", flat=True)
    return sorted([*messages, *events])
