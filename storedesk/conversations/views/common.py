"""Pieces the workspace views share: who is asking, and the conversation header."""

from __future__ import annotations

from typing import Any

from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from storedesk.accounts.models import User
from storedesk.conversations.enums import ALLOWED_TRANSITIONS, ConversationStatus, Priority
from storedesk.conversations.models import Conversation
from storedesk.conversations.selectors_detail import (
    conversation_get_for_detail,
    conversation_prefetch_for_detail,
    header_choices_for_conversation,
)

HEADER_TEMPLATE = "conversations/partials/_header.html"
# Events the page listens for (workspace.js): fetch new timeline entries / the header.
TIMELINE_CHANGED = "storedesk:timeline-changed"
HEADER_CHANGED = "storedesk:header-changed"


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def agent_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # guaranteed by agent_required
    return user


def header_context(
    *, conversation: Conversation, errors: Form | None = None, reread: bool = True
) -> dict[str, Any]:
    """`reread=False` for a conversation this request just loaded and has not changed."""
    if reread:
        conversation = conversation_get_for_detail(conversation=conversation)
    else:
        conversation = conversation_prefetch_for_detail(conversation=conversation)
    allowed = ALLOWED_TRANSITIONS[conversation.status]
    choices = header_choices_for_conversation(conversation=conversation)
    return {
        "conversation": conversation,
        "status_choices": [c for c in ConversationStatus.choices if c[0] in allowed],
        "priority_choices": Priority.choices,
        "teams": choices.teams,
        "agents": choices.agents,
        "tag_names": ", ".join(tag.name for tag in conversation.tags.all()),
        "error_form": errors,
    }


def render_header(
    request: HttpRequest, conversation: Conversation, *, errors: Form | None = None
) -> HttpResponse:
    status = 422 if errors is not None else 200
    response = render(
        request, HEADER_TEMPLATE, header_context(conversation=conversation, errors=errors),
        status=status,
    )
    if errors is None:
        response["HX-Trigger"] = TIMELINE_CHANGED
    return response
