"""The agent chat console (/chat/console/): thin views over chat's selectors and services.

The page and its partials are server-rendered; console.js keeps them live over the agent
chat socket (/ws/chat/agent/): timeline entries arrive there as JSON, and the side panel
(seats, the agent's chats, the queue) is re-fetched from `side` whenever a frame says it
changed, so it has one renderer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from storedesk.accounts.decorators import agent_required
from storedesk.accounts.enums import AgentStatus
from storedesk.accounts.models import Team, User
from storedesk.chat import forms_console as forms
from storedesk.chat.access import access_chat_for_agent
from storedesk.chat.canned import canned_replies_for_agent, canned_reply_create
from storedesk.chat.enums import ChatState
from storedesk.chat.errors import ChatError
from storedesk.chat.models import Chat
from storedesk.chat.selectors import (
    agent_seats,
    chat_list_active_for_agent,
    chat_queue_for_agent,
    visitor_context_for_agent,
)
from storedesk.chat.services import (
    agent_availability_set,
    agent_capacity_set,
    chat_end,
    chat_transcript_request,
    chat_transfer,
)
from storedesk.conversations.views.common import agent_of

CAPACITY_CHOICES = range(1, 11)  # accounts.User.chat_capacity's validators


def _side_context(agent: User, *, status_error: str = "") -> dict[str, Any]:
    return {
        "seats": agent_seats(agent=agent),
        "chats": chat_list_active_for_agent(agent=agent),
        "queue": chat_queue_for_agent(agent=agent),
        "status_choices": AgentStatus.choices,
        "capacity_choices": CAPACITY_CHOICES,
        "status_error": status_error,
    }


@agent_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    agent = agent_of(request)
    return render(request, "chat/console/console.html", _page_context(agent))


def _page_context(
    agent: User, *, canned_form: forms.CannedReplyForm | None = None
) -> dict[str, Any]:
    canned = list(canned_replies_for_agent(agent=agent))
    return {
        **_side_context(agent),
        "state_labels": dict(ChatState.choices),
        "canned": canned,
        "canned_data": [{"title": r.title, "text": r.text, "shortcut": r.shortcut} for r in canned],
        "canned_form": canned_form or forms.CannedReplyForm(agent=agent),
    }


@agent_required
@require_POST
def canned_create(request: HttpRequest) -> HttpResponse:
    agent = agent_of(request)
    form = forms.CannedReplyForm(request.POST, agent=agent)
    if form.is_valid():
        try:
            canned_reply_create(agent=agent, **form.cleaned_data)
        except ChatError as refused:
            form.add_error(None, refused.message)
        else:
            return redirect("chat_console:console")
    return render(request, "chat/console/console.html", _page_context(agent, canned_form=form),
                  status=422)


@agent_required
@require_GET
def side(request: HttpRequest) -> HttpResponse:
    return render(request, "chat/console/partials/_side.html", _side_context(agent_of(request)))


@agent_required
@require_POST
def status(request: HttpRequest) -> HttpResponse:
    agent = agent_of(request)
    form = forms.StatusForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            agent_availability_set(agent=agent, status=form.cleaned_data["status"])
        except ChatError as refused:
            error = refused.message
    else:
        error = " ".join(str(message) for message in form.errors.get("status", []))
    agent.refresh_from_db(fields=["status"])
    return render(
        request, "chat/console/partials/_side.html", _side_context(agent, status_error=error),
        status=422 if error else 200,
    )


@agent_required
@require_POST
def capacity(request: HttpRequest) -> HttpResponse:
    agent = agent_of(request)
    form = forms.CapacityForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            agent_capacity_set(agent=agent, capacity=form.cleaned_data["capacity"])
        except ChatError as refused:
            error = refused.message
    else:
        error = " ".join(str(message) for message in form.errors.get("capacity", []))
    agent.refresh_from_db(fields=["chat_capacity"])
    return render(
        request, "chat/console/partials/_side.html", _side_context(agent, status_error=error),
        status=422 if error else 200,
    )


def _pane_context(agent: User, chat: Chat) -> dict[str, Any]:
    return {
        "chat": chat,
        "conversation": chat.conversation,
        "visitor_name": str(chat.conversation.customer),
        "max_chars": chat.widget.max_message_chars,
        "transfer_agents": User.objects.filter(is_active=True, teams__isnull=False)
        .exclude(pk=agent.pk).distinct(),
        "transfer_teams": Team.objects.all(),
        "transfer_form": forms.TransferForm(),
        "transcript_form": forms.TranscriptForm(),
        "transcript_email": chat.conversation.customer.primary_email,
    }


@agent_required
@require_GET
def pane(request: HttpRequest, conversation_id: int) -> HttpResponse:
    agent = agent_of(request)
    chat = access_chat_for_agent(agent=agent, conversation_id=conversation_id)
    return render(request, "chat/console/partials/_pane.html", _pane_context(agent, chat))


@agent_required
@require_GET
def context(request: HttpRequest, conversation_id: int) -> HttpResponse:
    agent = agent_of(request)
    chat = access_chat_for_agent(agent=agent, conversation_id=conversation_id)
    visitor = visitor_context_for_agent(agent=agent, chat=chat)
    return render(
        request, "chat/console/partials/_context.html",
        {"context": visitor, "pages_newest_first": list(reversed(visitor.pages))},
    )


@agent_required
@require_POST
def transfer(request: HttpRequest, conversation_id: int) -> HttpResponse:
    agent = agent_of(request)
    chat = access_chat_for_agent(agent=agent, conversation_id=conversation_id)
    form = forms.TransferForm(request.POST)
    if form.is_valid():
        try:
            chat_transfer(chat=chat, actor=agent, to_agent=form.cleaned_data["agent"],
                          to_team=form.cleaned_data["team"])
        except ChatError as refused:
            form.add_error(None, refused.message)
    context = {**_pane_context(agent, chat), "transfer_form": form,
               "transferred": not form.errors}
    return render(request, "chat/console/partials/_transfer.html", context,
                  status=422 if form.errors else 200)


@agent_required
@require_POST
def end(request: HttpRequest, conversation_id: int) -> HttpResponse:
    agent = agent_of(request)
    chat = access_chat_for_agent(agent=agent, conversation_id=conversation_id)
    try:
        chat_end(chat=chat, actor=agent)
    except ChatError as refused:
        return HttpResponse(refused.message, status=422, content_type="text/plain")
    # The pane learns of the end from the socket's "state" frame, like every other change.
    return HttpResponse(status=204)


@agent_required
@require_POST
def transcript(request: HttpRequest, conversation_id: int) -> HttpResponse:
    agent = agent_of(request)
    chat = access_chat_for_agent(agent=agent, conversation_id=conversation_id)
    form = forms.TranscriptForm(request.POST)
    sent = ""
    if form.is_valid():
        try:
            chat_transcript_request(chat=chat, email=form.cleaned_data["email"])
            sent = form.cleaned_data["email"]
        except ChatError as refused:
            form.add_error(None, refused.message)
    context = {**_pane_context(agent, chat), "transcript_form": form, "transcript_sent": sent}
    return render(request, "chat/console/partials/_transcript.html", context,
                  status=422 if form.errors else 200)
