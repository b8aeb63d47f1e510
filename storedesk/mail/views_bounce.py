"""Agents clearing a customer's bounce flag from the conversation sidebar."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from storedesk.accounts.decorators import agent_required
from storedesk.accounts.models import User
from storedesk.conversations.access import access_conversation_for_agent
from storedesk.customers.services import customer_email_bounce_clear


@agent_required
@require_POST
def bounce_clear(request: HttpRequest, number: int, identity_id: int) -> HttpResponse:
    """An agent confirms the customer's address works again (e.g. they fixed a typo)."""
    user = request.user
    assert isinstance(user, User)
    conversation = access_conversation_for_agent(agent=user, number=number)
    identity = get_object_or_404(conversation.customer.identities, pk=identity_id)
    customer_email_bounce_clear(email=identity.value)
    return redirect("conversations:detail", conversation.number)
