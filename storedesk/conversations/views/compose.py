"""Replies to the customer and internal notes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from storedesk.accounts.decorators import agent_required
from storedesk.conversations.access import access_conversation_for_agent
from storedesk.conversations.forms import NoteForm, ReplyForm
from storedesk.conversations.models import Conversation
from storedesk.conversations.services.messages import message_reply, note_add
from storedesk.conversations.views.common import HEADER_CHANGED, TIMELINE_CHANGED, agent_of, is_htmx

COMPOSER_TEMPLATE = "conversations/partials/_composer.html"


def _composer(
    request: HttpRequest, conversation: Conversation, *, reply: ReplyForm, note: NoteForm,
    tab: str, status: int = 200,
) -> HttpResponse:
    context = {"conversation": conversation, "reply_form": reply, "note_form": note, "tab": tab}
    response = render(request, COMPOSER_TEMPLATE, context, status=status)
    if status == 200:
        response["HX-Trigger"] = f'{{"{TIMELINE_CHANGED}": null, "{HEADER_CHANGED}": null}}'
    return response


@agent_required
@require_POST
def reply(request: HttpRequest, number: int) -> HttpResponse:
    agent = agent_of(request)
    conversation = access_conversation_for_agent(agent=agent, number=number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _composer(request, conversation, reply=form, note=NoteForm(), tab="reply",
                         status=422)
    message_reply(conversation=conversation, author=agent, content=form.content())
    if not is_htmx(request):
        return redirect("conversations:detail", number=number)
    return _composer(request, conversation, reply=ReplyForm(), note=NoteForm(), tab="reply")


@agent_required
@require_POST
def note(request: HttpRequest, number: int) -> HttpResponse:
    agent = agent_of(request)
    conversation = access_conversation_for_agent(agent=agent, number=number)
    form = NoteForm(request.POST, request.FILES)
    if not form.is_valid():
        return _composer(request, conversation, reply=ReplyForm(), note=form, tab="note",
                         status=422)
    note_add(conversation=conversation, author=agent, content=form.content())
    if not is_htmx(request):
        return redirect("conversations:detail", number=number)
    return _composer(request, conversation, reply=ReplyForm(), note=NoteForm(), tab="note")
