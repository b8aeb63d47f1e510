"""The portal's entry, signed status links and the language switcher."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from storedesk.conversations.selectors import timeline_for_customer
from storedesk.portal.access import access_conversation_by_status_token, session_customer
from storedesk.portal.forms import LanguageForm
from storedesk.portal.rendering import language_remember, portal_page, portal_render, safe_next


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    signed_in = session_customer(request) is not None
    return HttpResponseRedirect(reverse("portal:requests" if signed_in else "portal:signin"))


@portal_page
@require_GET
def status(request: HttpRequest, token: str) -> HttpResponse:
    """One conversation's status for whoever holds the signed link, signed in or not."""
    conversation = access_conversation_by_status_token(token=token)
    viewer = session_customer(request)
    context = {
        "conversation": conversation,
        "timeline": timeline_for_customer(conversation=conversation),
        "is_owner": viewer is not None and viewer.pk == conversation.customer_id,
    }
    return portal_render(
        request, "portal/status.html", context, brand=conversation.brand, customer=viewer
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if form.is_valid():
        language_remember(request, form.cleaned_data["language"])
    fallback = reverse("portal:home")
    return HttpResponseRedirect(safe_next(request, request.POST.get("next", ""), fallback))
