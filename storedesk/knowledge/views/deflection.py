"""Public article suggestions while a customer types (contact form, help centre, chat)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from storedesk.core.throttle import client_ip
from storedesk.knowledge.access import access_brand_for_public
from storedesk.knowledge.deflection_enums import SuggestionSource
from storedesk.knowledge.forms_deflection import SuggestEventForm, SuggestForm
from storedesk.knowledge.services.deflection import (
    article_suggestions_show,
    deflection_event_record,
    suggestion_rate_limit_take,
)


def _within_rate_limit(request: HttpRequest) -> bool:
    return suggestion_rate_limit_take(ip=client_ip(request))


@require_GET
def suggest(request: HttpRequest, brand_slug: str) -> HttpResponse:
    brand = access_brand_for_public(brand_slug=brand_slug)
    form = SuggestForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"error": form.errors.get_json_data()}, status=400)
    if not _within_rate_limit(request):
        return JsonResponse({"error": "rate_limited"}, status=429)
    data = form.cleaned_data
    language = data["lang"] or translation.get_language() or brand.default_language
    suggestions = article_suggestions_show(
        brand=brand, query=data["q"], language=language, session_key=data["s"] or "",
        source=data["source"] or SuggestionSource.CONTACT_FORM,
    )
    if data["format"] == "json":
        return JsonResponse({
            "session": data["s"] or "", "language": language, "query": data["q"],
            "suggestions": [s.as_json() for s in suggestions],
            "contact": {"label": _("Talk to a person"), "url": None},
        })
    context = {"suggestions": suggestions, "query": data["q"], "brand": brand}
    return render(request, "knowledge/deflection/_suggestions.html", context)


# Exempt from CSRF: the chat widget posts from the shop's own site, and the only effect is
# a counter on a session whose random key the caller must already hold.
@csrf_exempt
@require_POST
def suggest_event(request: HttpRequest, brand_slug: str) -> HttpResponse:
    brand = access_brand_for_public(brand_slug=brand_slug)
    form = SuggestEventForm(_body(request))
    if not form.is_valid():
        return JsonResponse({"error": form.errors.get_json_data()}, status=400)
    if not _within_rate_limit(request):
        return JsonResponse({"error": "rate_limited"}, status=429)
    recorded = deflection_event_record(
        brand=brand, session_key=form.cleaned_data["s"],
        article_id=form.cleaned_data["article"], kind=form.cleaned_data["kind"],
    )
    return HttpResponse(status=204 if recorded else 404)


def _body(request: HttpRequest) -> dict[str, object]:
    """Form fields, or a JSON object (what a widget's fetch or sendBeacon sends)."""
    if request.content_type == "application/json":
        try:
            parsed = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return dict(request.POST.items())
