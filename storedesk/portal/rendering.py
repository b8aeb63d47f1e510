"""The portal's page frame: brand, language, time zone and the signed-in customer."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, ParamSpec

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme

from storedesk.brands.models import Brand
from storedesk.customers.models import Customer
from storedesk.portal.access import session_customer
from storedesk.portal.selectors import brand_get_for_portal, web_form_inbox_for_brand

LANGUAGE_SESSION_KEY = "portal_language"
BRAND_SESSION_KEY = "portal_brand_id"
DEFAULT_ACCENT = "#2563eb"
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
P = ParamSpec("P")


def language_remember(request: HttpRequest, language: str) -> bool:
    if language not in dict(settings.LANGUAGES):
        return False
    request.session[LANGUAGE_SESSION_KEY] = language
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return True


def portal_page(view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    """Honour ?lang= on any portal page: the choice is kept in the session."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        request = args[0]
        assert isinstance(request, HttpRequest)
        if "lang" in request.GET:
            language_remember(request, request.GET.get("lang", ""))
        return view(*args, **kwargs)

    return wrapper


def brand_remember(request: HttpRequest, brand: Brand) -> None:
    if request.session.get(BRAND_SESSION_KEY) != brand.pk:
        request.session[BRAND_SESSION_KEY] = brand.pk


def safe_next(request: HttpRequest, target: str, fallback: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else fallback


def _time_zone(brand: Brand | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(brand.time_zone if brand else "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def portal_render(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    brand: Brand | None = None,
    customer: Customer | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a portal page in the brand's frame and time zone."""
    brand = brand or brand_get_for_portal(brand_id=request.session.get(BRAND_SESSION_KEY))
    accent = brand.accent_color if brand and HEX_COLOR.match(brand.accent_color) else None
    page = {
        "brand": brand,
        "accent": accent or DEFAULT_ACCENT,
        "portal_customer": customer or session_customer(request),
        "contact_available": brand is not None
        and web_form_inbox_for_brand(brand=brand) is not None,
        "portal_languages": settings.LANGUAGES,
        **(context or {}),
    }
    with timezone.override(_time_zone(brand)):
        return render(request, template, page, status=status)
