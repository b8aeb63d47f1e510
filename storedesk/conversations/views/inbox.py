"""The inbox: views with counts, filters, the conversation list and bulk actions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from storedesk.accounts.decorators import agent_required
from storedesk.conversations.forms import BulkForm, InboxFilterForm, SavedViewForm
from storedesk.conversations.selectors import (
    conversation_counts_for_agent,
    conversation_list_by_numbers_for_agent,
    conversation_shortcut_counts_for_agent,
    inbox_filter_choices_for_agent,
    inbox_page_for_agent,
    saved_view_list_for_agent,
)
from storedesk.conversations.services.merge import conversation_bulk_update
from storedesk.conversations.services.saved_views import saved_view_create, saved_view_delete
from storedesk.conversations.views.common import agent_of, is_htmx
from storedesk.inboxes.enums import Channel

LIST_TEMPLATE = "conversations/partials/_list.html"


def _back_to_inbox(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("query", "")
    return redirect(reverse("conversations:inbox") + (f"?{query}" if query else ""))


@agent_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    agent = agent_of(request)
    form = InboxFilterForm(request.GET)
    filters = form.filters()
    context = {
        "filters": filters,
        "page": inbox_page_for_agent(agent=agent, filters=filters, page=form.page_number()),
        "query": request.GET.urlencode(),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "conversation-list":
        return render(request, LIST_TEMPLATE, context)
    context |= {
        "counts": conversation_counts_for_agent(agent=agent, filters=filters),
        "shortcuts": conversation_shortcut_counts_for_agent(agent=agent),
        "choices": inbox_filter_choices_for_agent(agent=agent),
        "saved_views": saved_view_list_for_agent(agent=agent),
        "language_choices": settings.LANGUAGES,
        "channels": Channel.choices,
        "more_views": ("all", "closed", "spam", "trash"),
    }
    return render(request, "conversations/inbox.html", context)


@agent_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    agent = agent_of(request)
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose conversations and a complete action."))
        return _back_to_inbox(request)
    conversations = conversation_list_by_numbers_for_agent(
        agent=agent, numbers=form.cleaned_data["numbers"]
    )
    result = conversation_bulk_update(conversations=conversations, actor=agent, **form.changes())
    messages.success(request, ngettext(
        "%(count)d conversation changed.", "%(count)d conversations changed.", result.changed
    ) % {"count": result.changed})
    if result.skipped:
        messages.warning(request, ngettext(
            "%(count)d conversation could not take this change.",
            "%(count)d conversations could not take this change.", result.skipped,
        ) % {"count": result.skipped})
    return _back_to_inbox(request)


@agent_required
@require_POST
def saved_view_add(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    if form.is_valid():
        try:
            saved_view_create(owner=agent_of(request), **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, error.messages[0])
    else:
        messages.error(request, _("Give the view a name."))
    return _back_to_inbox(request)


@agent_required
@require_POST
def saved_view_remove(request: HttpRequest, saved_view_id: int) -> HttpResponse:
    saved_view_delete(owner=agent_of(request), saved_view_id=saved_view_id)
    return redirect("conversations:inbox")
