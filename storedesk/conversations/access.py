"""The only way to load a conversation or attachment on behalf of a person.

Missing and forbidden look the same (404), so a guessed number tells nothing.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from storedesk.accounts.models import User
from storedesk.conversations.enums import MessageKind
from storedesk.conversations.models import Attachment, Conversation
from storedesk.customers.models import Customer
from storedesk.inboxes.models import Inbox


def visible_inbox_ids(agent: User) -> list[int] | None:
    """Inboxes whose conversations `agent` may see; None means all (administrators)."""
    if agent.is_admin:
        return None
    inboxes = Inbox.objects.filter(team__members=agent).order_by()  # no join for Meta.ordering
    return list(inboxes.values_list("pk", flat=True).distinct())


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
        .defer("search_text")  # up to 20,000 characters no page shows
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
