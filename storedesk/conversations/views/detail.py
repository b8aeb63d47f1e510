"""The conversation page, and the pieces of it that live updates re-fetch."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from storedesk.accounts.decorators import agent_required
from storedesk.conversations.access import access_conversation_for_agent
from storedesk.conversations.forms import InboxFilterForm, NoteForm, ReplyForm, filter_query
from storedesk.conversations.selectors import message_delivery_list, timeline_for_agent
from storedesk.conversations.selectors_detail import (
    conversation_neighbours_for_agent,
    customer_other_conversations,
)
from storedesk.conversations.views.common import agent_of, header_context, render_header


@agent_required
@require_GET
def detail(request: HttpRequest, number: int) -> HttpResponse:
    agent = agent_of(request)
    conversation = access_conversation_for_agent(agent=agent, number=number)
    filters = InboxFilterForm(request.GET).filters()
    context = header_context(conversation=conversation, reread=False)
    conversation = context["conversation"]
    context |= {
        "entries": timeline_for_agent(conversation=conversation),
        "last_sequence": conversation.last_sequence,
        "neighbours": conversation_neighbours_for_agent(
            agent=agent, conversation=conversation, filters=filters
        ),
        "list_query": filter_query(request.GET),
        "other_conversations": customer_other_conversations(
            agent=agent, conversation=conversation
        ),
        "reply_form": ReplyForm(),
        "note_form": NoteForm(),
    }
    return render(request, "conversations/detail.html", context)


@agent_required
@require_GET
def timeline(request: HttpRequest, number: int) -> HttpResponse:
    """Only the entries after `after`, for the live-update script and reconnects."""
    conversation = access_conversation_for_agent(agent=agent_of(request), number=number)
    after = request.GET.get("after", "0")
    entries = timeline_for_agent(
        conversation=conversation, after=int(after) if after.isdigit() else 0
    )
    return render(
        request, "conversations/partials/_timeline_entries.html",
        {"entries": entries, "conversation": conversation},
    )


@agent_required
@require_GET
def header(request: HttpRequest, number: int) -> HttpResponse:
    conversation = access_conversation_for_agent(agent=agent_of(request), number=number)
    response = render_header(request, conversation)
    del response["HX-Trigger"]
    return response


@agent_required
@require_GET
def delivery(request: HttpRequest, number: int) -> HttpResponse:
    """The delivery status of every outbound message, for live.js to update in place."""
    conversation = access_conversation_for_agent(agent=agent_of(request), number=number)
    return render(
        request, "conversations/partials/_delivery_statuses.html",
        {"messages": message_delivery_list(conversation=conversation)},
    )
