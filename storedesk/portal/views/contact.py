"""The public contact form: one brand's web-form inbox, no sign-in needed."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods

from storedesk.brands.models import Brand
from storedesk.conversations.status_links import status_token_make, status_url
from storedesk.inboxes.models import Inbox
from storedesk.knowledge.services.deflection import deflection_request_sent
from storedesk.portal.access import access_conversation_by_status_token, session_customer
from storedesk.portal.forms import ContactForm
from storedesk.portal.rendering import brand_remember, portal_page, portal_render
from storedesk.portal.selectors import (
    brand_get_by_slug,
    brand_get_for_portal,
    web_form_inbox_for_brand,
)
from storedesk.portal.services import contact_request_submit
from storedesk.portal.throttle import client_ip, rate_limit_take


def _brand_and_inbox(brand_slug: str | None) -> tuple[Brand, Inbox]:
    if brand_slug is None:
        brand = brand_get_for_portal(brand_id=None)
    else:
        brand = brand_get_by_slug(slug=brand_slug)
    inbox = web_form_inbox_for_brand(brand=brand) if brand is not None else None
    if brand is None or inbox is None:
        raise Http404
    return brand, inbox


def _initial(request: HttpRequest) -> dict[str, str]:
    customer = session_customer(request)
    if customer is None:
        return {}
    return {"name": customer.name, "email": customer.primary_email}


def _within_rate_limit(request: HttpRequest) -> bool:
    return rate_limit_take(
        scope="contact-ip", key=client_ip(request), limit=settings.CONTACT_FORM_RATE_LIMIT,
        window_seconds=settings.CONTACT_FORM_RATE_WINDOW_SECONDS,
    )


@portal_page
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest, brand_slug: str | None = None) -> HttpResponse:
    brand, inbox = _brand_and_inbox(brand_slug)
    brand_remember(request, brand)
    data = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = ContactForm(*data, initial=_initial(request))
    if not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return portal_render(
            request, "portal/contact.html", {"form": form}, brand=brand, status=status
        )
    if not _within_rate_limit(request):
        return portal_render(
            request, "portal/rate_limited.html", {"what": "contact"}, brand=brand, status=429
        )
    if form.is_spam:
        # Pretend it worked, so the bot learns nothing; nothing is written.
        return portal_render(request, "portal/contact_thanks.html", {}, brand=brand)
    conversation = contact_request_submit(
        inbox=inbox, name=form.cleaned_data["name"], email=form.cleaned_data["email"],
        subject=form.cleaned_data["subject"], text=form.cleaned_data["message"],
        files=form.cleaned_data["attachments"], language=translation.get_language(),
    )
    deflection_request_sent(
        session_key=request.POST.get("kb_session", ""), conversation=conversation
    )
    token = status_token_make(conversation)
    return HttpResponseRedirect(reverse("portal:contact_thanks", kwargs={"token": token}))


@portal_page
@require_GET
def contact_thanks(request: HttpRequest, token: str) -> HttpResponse:
    conversation = access_conversation_by_status_token(token=token)
    context = {"conversation": conversation, "status_url": status_url(conversation)}
    return portal_render(request, "portal/contact_thanks.html", context, brand=conversation.brand)
