"""Sign-in by emailed link. Every answer is the same whether or not we know the address."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_http_methods, require_POST

from storedesk.customers.services import email_normalize, magic_link_redeem
from storedesk.portal.access import session_customer, session_sign_in, session_sign_out
from storedesk.portal.forms import SignInForm
from storedesk.portal.rendering import BRAND_SESSION_KEY, portal_page, portal_render, safe_next
from storedesk.portal.selectors import brand_get_for_portal
from storedesk.portal.services import signin_link_send
from storedesk.portal.throttle import client_ip, rate_limit_take

# Per address and per IP, in a 15-minute window: enough for a typo and a retry.
SIGNIN_WINDOW_SECONDS = 15 * 60
SIGNIN_LIMIT_PER_ADDRESS = 3
SIGNIN_LIMIT_PER_IP = 10


def _signin_allowed(request: HttpRequest, email: str) -> bool:
    by_ip = rate_limit_take(
        scope="signin-ip", key=client_ip(request), limit=SIGNIN_LIMIT_PER_IP,
        window_seconds=SIGNIN_WINDOW_SECONDS,
    )
    by_address = rate_limit_take(
        scope="signin-address", key=email_normalize(email), limit=SIGNIN_LIMIT_PER_ADDRESS,
        window_seconds=SIGNIN_WINDOW_SECONDS,
    )
    return by_ip and by_address


@portal_page
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    if session_customer(request) is not None:
        return HttpResponseRedirect(reverse("portal:requests"))
    form = SignInForm(
        request.POST if request.method == "POST" else None,
        initial={"next": request.GET.get("next", "")})
    if not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return portal_render(request, "portal/signin.html", {"form": form}, status=status)
    email = form.cleaned_data["email"]
    if not _signin_allowed(request, email):
        return portal_render(request, "portal/rate_limited.html", {"what": "signin"}, status=429)
    signin_link_send(
        email=email,
        brand=brand_get_for_portal(brand_id=request.session.get(BRAND_SESSION_KEY)),
        language=translation.get_language(),
        next_path=safe_next(request, form.cleaned_data["next"], ""),
    )
    return portal_render(request, "portal/signin_sent.html", {"email": email})


@portal_page
@require_http_methods(["GET", "POST"])
def signin_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners that fetch links must not use them up."""
    next_path = request.POST.get("next") or request.GET.get("next", "")
    context = {"next": next_path, "max_age_minutes": settings.MAGIC_LINK_MAX_AGE_SECONDS // 60}
    if request.method == "GET":
        return portal_render(request, "portal/signin_confirm.html", context)
    customer = magic_link_redeem(token=token)
    if customer is None:
        return portal_render(request, "portal/signin_invalid.html", context, status=400)
    session_sign_in(request, customer)
    return HttpResponseRedirect(safe_next(request, next_path, reverse("portal:requests")))


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    session_sign_out(request)
    return HttpResponseRedirect(reverse("portal:signin"))
