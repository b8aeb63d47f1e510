"""Help-centre articles the widget suggests while a visitor writes the first message
(deflection, issue #5). Same services as the help centre's suggestion endpoint
(knowledge/views/deflection.py), reached through the widget's API so the brand comes from
the widget and the shop's origin passes the widget's CORS check."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse

from storedesk.chat.errors import ChatError
from storedesk.chat.views.api import VisitorRequest, visitor_api
from storedesk.knowledge.deflection_enums import SuggestionSource
from storedesk.knowledge.forms_deflection import SuggestEventForm, SuggestForm
from storedesk.knowledge.services.deflection import (
    article_suggestions_show,
    deflection_event_record,
    suggestion_rate_limit_take,
)

# A chat window is small: a few good answers, then the way to a person.
WIDGET_SUGGESTIONS = 3


def _rate_limit(request: VisitorRequest) -> None:
    if not suggestion_rate_limit_take(ip=request.ip):
        raise ChatError("rate_limited")  # the widget just shows no suggestions


@visitor_api
def suggest(request: VisitorRequest) -> HttpResponse:
    """GET q, lang, s (the visit's key): up to three public articles of the widget's brand.
    Records the search and the articles shown (article_suggestions_show)."""
    form = SuggestForm(request.payload)
    if not form.is_valid():
        raise ChatError("invalid")
    _rate_limit(request)
    data = form.cleaned_data
    suggestions = article_suggestions_show(
        brand=request.widget.inbox.brand, query=data["q"],
        language=data["lang"] or request.widget.inbox.brand.default_language,
        session_key=data["s"] or "", source=SuggestionSource.CHAT, limit=WIDGET_SUGGESTIONS,
    )
    return JsonResponse({"suggestions": [s.as_json() for s in suggestions]})


@visitor_api
def suggest_event(request: VisitorRequest) -> HttpResponse:
    """POST s, article, kind (opened|answered): 204, or 404 for an article not shown."""
    form = SuggestEventForm(request.payload)
    if not form.is_valid():
        raise ChatError("invalid")
    _rate_limit(request)
    recorded = deflection_event_record(
        brand=request.widget.inbox.brand, session_key=form.cleaned_data["s"],
        article_id=form.cleaned_data["article"], kind=form.cleaned_data["kind"],
    )
    return HttpResponse(status=204 if recorded else 404)
