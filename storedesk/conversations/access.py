"""The only way to load a conversation or attachment on behalf of a person.

Missing and forbidden look the same (404), so a guessed number tells nothing.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import Http404

from storedesk.accounts.models import User
from storedesk.conversations.enums import MessageKind
from storedesk.conversations.models import Attachment, Conversation
from storedesk.customers.models import Customer
from storedesk.inboxes.models import Inbox

# An agent's visible inboxes are cached until a team's members or an inbox's team change
# (access_cache_invalidate, from conversations/signals.py): a query saved on every
# workspace page, which asks up to three times (list, counts, previous/next).
VISIBLE_INBOXES_CACHE_SECONDS = 300
_ACCESS_VERSION_KEY = "conversations:access-version"


def visible_inbox_ids(agent: User) -> list[int] | None:
    """Inboxes whose conversations `agent` may see; None means all (administrators)."""
    if agent.is_admin:
        return None
    key = f"conversations:visible-inboxes:{cache.get(_ACCESS_VERSION_KEY, 0)}:{agent.pk}"
    inbox_ids: list[int] | None = cache.get(key)
    if inbox_ids is None:
        inboxes = Inbox.objects.filter(team__members=agent).order_by()  # no Meta.ordering join
        inbox_ids = list(inboxes.values_list("pk", flat=True).distinct())
        cache.set(key, inbox_ids, VISIBLE_INBOXES_CACHE_SECONDS)
    return inbox_ids


def access_cache_invalidate() -> None:
    """Someone's visible inboxes may have changed: every agent's cached answer is dropped."""
    try:
        cache.incr(_ACCESS_VERSION_KEY)
    except ValueError:  # no version yet (or evicted): any new value differs from 0
        cache.set(_ACCESS_VERSION_KEY, time.time_ns(), None)


def conversations_visible_to_agent(agent: User) -> QuerySet[Conversation]:
    inbox_ids = visible_inbox_ids(agent)
    queryset = Conversation.objects.all()
    return queryset if inbox_ids is None else queryset.filter(inbox_id__in=inbox_ids)


def conversations_visible_to_customer(customer: Customer) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(Q(customer=customer) | Q(participants__customer=customer))
        .exclude(status__in=["spam", "trash"])
        .distinct()
    )


def access_conversation_for_agent(*, agent: User, number: int) -> Conversation:
    conversation = (
        conversations_visible_to_agent(agent)
        .select_related("customer", "inbox", "brand", "team", "assignee")
        .filter(number=number)
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation


def access_conversation_for_customer(*, customer: Customer, number: int) -> Conversation:
    conversation = (
        conversations_visible_to_customer(customer)
        .select_related("brand", "inbox")
        .filter(number=number)
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation


def access_attachment_for_agent(*, agent: User, attachment_id: int) -> Attachment:
    visible = conversations_visible_to_agent(agent)
    attachment = Attachment.objects.filter(pk=attachment_id, conversation__in=visible).first()
    if attachment is None:
        raise Http404
    return attachment


def access_attachment_for_customer(*, customer: Customer, attachment_id: int) -> Attachment:
    """Customers never see files attached to internal notes."""
    visible = conversations_visible_to_customer(customer)
    attachment = (
        Attachment.objects.filter(pk=attachment_id, conversation__in=visible)
        .exclude(message__kind=MessageKind.NOTE)
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment
