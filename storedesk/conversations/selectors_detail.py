"""Reads of the conversation page around its timeline: the related rows shown with the
conversation, the header's menus, previous/next links and the customer's other conversations."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Prefetch, Subquery, prefetch_related_objects

from storedesk.accounts.models import Team, User
from storedesk.conversations.access import conversations_visible_to_agent
from storedesk.conversations.enums import InboxSort, ParticipantRole
from storedesk.conversations.models import Conversation, Participant
from storedesk.conversations.selectors import (
    FILTER_CHOICES_CACHE_SECONDS,
    Choice,
    InboxFilters,
    assignee_choices_for_conversation,
    conversation_list_for_agent,
)


@dataclass(frozen=True)
class HeaderChoices:
    teams: list[Choice]
    agents: list[Choice]


def header_choices_for_conversation(*, conversation: Conversation) -> HeaderChoices:
    """The team and assignee menus of the conversation header.

    Kept for a minute per (inbox, team) like the inbox filter choices: two queries on
    every conversation page and after every change, for lists that rarely change.
    """
    key = f"conversations:header-choices:{conversation.inbox_id}:{conversation.team_id}"
    cached = cache.get(key)
    if isinstance(cached, HeaderChoices):
        return cached
    choices = HeaderChoices(
        teams=[Choice(team.pk, team.name) for team in Team.objects.all()],
        agents=[
            Choice(person.pk, person.name)
            for person in assignee_choices_for_conversation(conversation=conversation)
        ],
    )
    cache.set(key, choices, FILTER_CHOICES_CACHE_SECONDS)
    return choices


@dataclass(frozen=True)
class Neighbours:
    previous: int | None
    next: int | None


def conversation_neighbours_for_agent(
    *, agent: User, conversation: Conversation, filters: InboxFilters
) -> Neighbours:
    """Numbers of the conversations above and below this one in the agent's inbox list.

    None when the conversation is not in that list (e.g. a solved one opened from the
    open tab): searching for neighbours of a row that is not there would walk the index.
    """
    listed = conversation_list_for_agent(agent=agent, filters=filters)
    base = listed.exclude(pk=conversation.pk)
    waiting = conversation.waiting_since
    if filters.sort == InboxSort.LONGEST_WAITING and waiting is not None:
        above = base.filter(waiting_since__lt=waiting).order_by("-waiting_since")
        below = base.filter(waiting_since__gt=waiting).order_by("waiting_since")
    else:
        at = conversation.last_message_at
        above = base.filter(last_message_at__gt=at).order_by("last_message_at")
        below = base.filter(last_message_at__lt=at).order_by("-last_message_at")
    # One round trip: the row itself is selected only when it is in the list, and the
    # database evaluates the two scalar subqueries only for a selected row.
    numbers = (
        listed.filter(pk=conversation.pk)
        .order_by()
        .values(
            previous=Subquery(above.values("number")[:1]),
            next=Subquery(below.values("number")[:1]),
        )
        .first()
    )
    if numbers is None:
        return Neighbours(previous=None, next=None)
    return Neighbours(previous=numbers["previous"], next=numbers["next"])


def customer_other_conversations(
    *, agent: User, conversation: Conversation, limit: int = 10
) -> list[Conversation]:
    return list(
        conversations_visible_to_agent(agent)
        .filter(customer_id=conversation.customer_id)
        .exclude(pk=conversation.pk)
        .order_by("-last_message_at")[:limit]
    )


# What the conversation page shows with a conversation: tags and the people.
DETAIL_PREFETCH = (
    "tags",
    "customer__identities",
    Prefetch("participants", queryset=Participant.objects.select_related("customer")),
)


def conversation_get_for_detail(*, conversation: Conversation) -> Conversation:
    """Re-read what the conversation page shows with it: tags, customer identities, people.

    Read afresh on purpose: after a change the caller's instance may be stale.
    """
    conversation = (
        Conversation.objects.select_related("customer", "inbox", "brand", "team", "assignee")
        .prefetch_related(*DETAIL_PREFETCH)
        .get(pk=conversation.pk)
    )
    return _cc_identities_prefetch(conversation)


def conversation_prefetch_for_detail(*, conversation: Conversation) -> Conversation:
    """The same related rows for a conversation just loaded (by an access_* function)."""
    prefetch_related_objects([conversation], *DETAIL_PREFETCH)
    return _cc_identities_prefetch(conversation)


def _cc_identities_prefetch(conversation: Conversation) -> Conversation:
    """Addresses of CC'd people, shown by name or address; most conversations have none."""
    cc = [p.customer for p in conversation.participants.all() if p.role == ParticipantRole.CC]
    if cc:
        prefetch_related_objects(cc, "identities")
    return conversation
