"""Agent tools built on the knowledge base: the content-gaps page, turning an answered
conversation into a draft, the quick-search panel and inserting an article into a reply."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from storedesk.accounts.decorators import agent_required
from storedesk.accounts.models import User
from storedesk.brands.models import Brand
from storedesk.conversations.access import access_conversation_for_agent, visible_inbox_ids
from storedesk.conversations.views.common import agent_of
from storedesk.knowledge.access import agent_serves_brand, brands_for_agent
from storedesk.knowledge.enums import Audience
from storedesk.knowledge.forms_agent_tools import ArticleInsertForm, GapsForm, QuickSearchForm
from storedesk.knowledge.selectors_agent import quick_search_for_agent
from storedesk.knowledge.selectors_deflection import deflection_stats
from storedesk.knowledge.selectors_gaps import question_clusters, search_gaps
from storedesk.knowledge.services.article_use import article_insert_into_reply, reply_language
from storedesk.knowledge.services.drafts import article_draft_from_conversation


def _today_start(agent: User) -> datetime:
    """Midnight where the agent is, so "changed today" means the agent's today."""
    try:
        zone = ZoneInfo(agent.time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    now = timezone.localtime(timezone.now(), zone)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _default_brand(agent: User) -> Brand | None:
    """The first store the agent serves (any store for an agent without one)."""
    served = brands_for_agent(agent)
    return served[0] if served else Brand.objects.order_by("name", "pk").first()


@agent_required
@require_GET
def gaps(request: HttpRequest) -> HttpResponse:
    agent = agent_of(request)
    served = brands_for_agent(agent)
    form = GapsForm(request.GET, brands=served)
    # Every field is optional and a bad period falls back to its default, but another
    # store's questions and searches are not the agent's to read.
    if not form.is_valid() and "brand" in form.errors:
        raise Http404("No such store among the agent's.")
    brand = form.cleaned_data.get("brand") or (served[0] if served else None)
    days = form.cleaned_data.get("days") or 30
    end = _today_start(agent) + timedelta(days=1)  # whole days: the clusters' cache holds all day
    start = end - timedelta(days=days)
    # The pickers show what the page shows, defaults included.
    shown = GapsForm(initial={"brand": brand, "days": days}, brands=served)
    context: dict[str, object] = {
        "form": shown, "brand": brand, "days": days, "store_exists": Brand.objects.exists(),
    }
    if brand is not None:
        context |= {
            "stats": deflection_stats(brand=brand, start=start, end=end),
            "search_gaps": search_gaps(brand=brand, start=start, end=end),
            "clusters": question_clusters(
                brand=brand, start=start, end=end, inbox_ids=visible_inbox_ids(agent)
            ),
        }
    return render(request, "knowledge/agent_tools/gaps.html", context)


@agent_required
@require_POST
def gap_draft(request: HttpRequest, number: int) -> HttpResponse:
    agent = agent_of(request)
    conversation = access_conversation_for_agent(agent=agent, number=number)
    try:
        article = article_draft_from_conversation(conversation=conversation, actor=agent)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(request.POST.get("next") or reverse("knowledge:gaps"))
    messages.success(request, _("Draft article created from conversation #%(number)s.")
                     % {"number": number})
    return redirect("knowledge:edit", article_id=article.pk)


@agent_required
@require_GET
def quick(request: HttpRequest) -> HttpResponse:
    agent = agent_of(request)
    form = QuickSearchForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    conversation = None
    if data.get("conversation"):
        conversation = access_conversation_for_agent(agent=agent, number=data["conversation"])
    brand = data.get("brand") or (conversation.brand if conversation else _default_brand(agent))
    # The customer's language on a conversation, else the agent's; else search detects it.
    language = data.get("lang") or (reply_language(conversation) if conversation else "")
    language = language or agent.language
    hits = []
    if brand is not None:
        # Internal articles only of the stores the agent serves; others' public ones.
        audience = Audience.INTERNAL if agent_serves_brand(agent, brand.pk) else Audience.PUBLIC
        hits = quick_search_for_agent(
            brand=brand, query=data.get("q") or "", language=language,
            today_start=_today_start(agent), audience=audience,
        )
    context = {"hits": hits, "query": data.get("q") or "", "conversation": conversation}
    return render(request, "knowledge/agent_tools/_quick_results.html", context)


@agent_required
@require_POST
def article_insert(request: HttpRequest, article_id: int) -> HttpResponse:
    agent = agent_of(request)
    form = ArticleInsertForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": form.errors.get_json_data()}, status=400)
    conversation = access_conversation_for_agent(
        agent=agent, number=form.cleaned_data["conversation"]
    )
    inserted = article_insert_into_reply(
        article_id=article_id, conversation=conversation, agent=agent,
        mode=form.cleaned_data["mode"],
    )
    return JsonResponse(
        {"text": inserted.text, "language": inserted.language, "used_in": inserted.used_in}
    )
