"""The agent chat console (/chat/console/): thin views over chat's selectors and services.

The page and its partials are server-rendered; console.js keeps them live over the agent
chat socket (/ws/chat/agent/): timeline entries arrive there as JSON, and the side panel
(seats, the agent's chats, the queue) is re-fetched from `side` whenever a frame says it
changed, so it has one renderer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
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


def _submit(form: django_forms.Form, action: Callable[[dict[str, Any]], object]) -> bool:
    """Run `action` on a valid form's data; its refusal becomes a form error. True if it ran."""
    if not form.is_valid():
        return False
    try:
        action(form.cleaned_data)
    except ChatError as refused:
        form.add_error(None, refused.message)
        return False
    return True


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
    if _submit(form, lambda data: canned_reply_create(agent=agent, **data)):
        return redirect("chat_console:console")
    return render(request, "chat/console/console.html", _page_context(agent, canned_form=form),
                  status=422)


@agent_required
@require_GET
def side(request: HttpRequest) -> HttpResponse:
    return render(request, "chat/console/partials/_side.html", _side_context(agent_of(request)))


def _side_setting(
    request: HttpRequest,
    form: django_forms.Form,
    *,
    apply: Callable[[User, dict[str, Any]], object],
    field: str,
) -> HttpResponse:
    """Apply one of the agent's own settings (User.`field`); the side panel again, saying why
    it was not taken (422)."""
    agent = agent_of(request)
    _submit(form, lambda data: apply(agent, data))
    agent.refresh_from_db(fields=[field])
    error = " ".join(str(message) for messages in form.errors.values() for message in messages)
    return render(
        request, "chat/console/partials/_side.html", _side_context(agent, status_error=error),
        status=422 if error else 200,
    )


@agent_required
@require_POST
def status(request: HttpRequest) -> HttpResponse:
    return _side_setting(
        request, forms.StatusForm(request.POST), field="status",
        apply=lambda agent, data: agent_availability_set(agent=agent, status=data["status"]),
    )


@agent_required
@require_POST
def capacity(request: HttpRequest) -> HttpResponse:
    return _side_setting(
        request, forms.CapacityForm(request.POST), field="chat_capacity",
        apply=lambda agent, data: agent_capacity_set(agent=agent, capacity=data["capacity"]),
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
    transferred = _submit(form, lambda data: chat_transfer(
        chat=chat, actor=agent, to_agent=data["agent"], to_team=data["team"]
    ))
    context = {**_pane_context(agent, chat), "transfer_form": form, "transferred": transferred}
    return render(request, "chat/console/partials/_transfer.html", context,
                  status=200 if transferred else 422)


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
    sent = _submit(form, lambda data: chat_transcript_request(chat=chat, email=data["email"]))
    context = {**_pane_context(agent, chat), "transcript_form": form,
               "transcript_sent": form.cleaned_data["email"] if sent else ""}
    return render(request, "chat/console/partials/_transcript.html", context,
                  status=200 if sent else 422)
