"""Changes from the conversation header: each view parses one form and calls one service.

Every action answers with the refreshed header partial (status 422 with the error when
the change is refused) and asks the page to fetch the new timeline entries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from storedesk.accounts.decorators import agent_required
from storedesk.accounts.models import User
from storedesk.conversations import forms
from storedesk.conversations.access import access_conversation_for_agent
from storedesk.conversations.models import Conversation
from storedesk.conversations.selectors import assignee_choices_for_conversation
from storedesk.conversations.services.changes import (
    conversation_assign,
    conversation_restore,
    conversation_set_priority,
    conversation_set_tags,
    conversation_set_team,
    conversation_snooze,
    conversation_transition,
)
from storedesk.conversations.services.merge import conversation_block_sender, conversation_merge
from storedesk.conversations.views.common import agent_of, is_htmx, render_header

Apply = Callable[[Conversation, Any, User], object]


def _change(request: HttpRequest, number: int, form: Form, apply: Apply) -> HttpResponse:
    agent = agent_of(request)
    conversation = access_conversation_for_agent(agent=agent, number=number)
    if form.is_valid():
        try:
            apply(conversation, form, agent)
        except ValidationError as error:
            form.add_error(None, error)
    if form.errors:
        return render_header(request, conversation, errors=form)
    if not is_htmx(request):
        return redirect("conversations:detail", number=number)
    return render_header(request, conversation)


@agent_required
@require_POST
def status(request: HttpRequest, number: int) -> HttpResponse:
    return _change(request, number, forms.StatusForm(request.POST), lambda c, f, a: (
        conversation_transition(conversation=c, status=f.cleaned_data["status"], actor=a)))


@agent_required
@require_POST
def priority(request: HttpRequest, number: int) -> HttpResponse:
    return _change(request, number, forms.PriorityForm(request.POST), lambda c, f, a: (
        conversation_set_priority(conversation=c, priority=f.cleaned_data["priority"], actor=a)))


@agent_required
@require_POST
def team(request: HttpRequest, number: int) -> HttpResponse:
    return _change(request, number, forms.TeamForm(request.POST), lambda c, f, a: (
        conversation_set_team(conversation=c, team=f.cleaned_data["team"], actor=a)))


@agent_required
@require_POST
def assignee(request: HttpRequest, number: int) -> HttpResponse:
    conversation = access_conversation_for_agent(agent=agent_of(request), number=number)
    agents = assignee_choices_for_conversation(conversation=conversation)
    return _change(request, number, forms.AssigneeForm(request.POST, agents=agents),
                   lambda c, f, a: conversation_assign(
                       conversation=c, assignee=f.cleaned_data["assignee"], actor=a))


@agent_required
@require_POST
def tags(request: HttpRequest, number: int) -> HttpResponse:
    return _change(request, number, forms.TagsForm(request.POST), lambda c, f, a: (
        conversation_set_tags(conversation=c, names=f.cleaned_data["tags"], actor=a)))


@agent_required
@require_POST
def snooze(request: HttpRequest, number: int) -> HttpResponse:
    return _change(request, number, forms.SnoozeForm(request.POST), lambda c, f, a: (
        conversation_snooze(conversation=c, until=f.snooze_until(), actor=a)))


@agent_required
@require_POST
def restore(request: HttpRequest, number: int) -> HttpResponse:
    return _change(request, number, Form({}), lambda c, f, a: (
        conversation_restore(conversation=c, actor=a)))


@agent_required
@require_POST
def block(request: HttpRequest, number: int) -> HttpResponse:
    return _change(request, number, Form({}), lambda c, f, a: (
        conversation_block_sender(conversation=c, actor=a)))


@agent_required
@require_POST
def merge(request: HttpRequest, number: int) -> HttpResponse:
    """Merge this conversation into another; the agent follows it to the target."""
    agent = agent_of(request)
    form = forms.MergeForm(request.POST, agent=agent)
    response = _change(request, number, form, lambda c, f, a: (
        conversation_merge(source=c, target=f.cleaned_data["target"], actor=a)))
    if form.errors:
        return response
    target_url = reverse("conversations:detail", args=[form.cleaned_data["target"].number])
    if not is_htmx(request):
        return redirect(target_url)
    response["HX-Redirect"] = target_url
    return response
