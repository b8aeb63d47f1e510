"""Plumbing of the widget's HTTP API: CORS per widget, the visitor's token, JSON in and out.

The API is called from shops' pages, so it is csrf-exempt and cookie-free: the visitor is
authenticated by the signed token in the `X-Chat-Token` header, and browsers may call it
only from the widget's allowed origins (CORS, checked again here on every request).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from storedesk.chat.access import access_visitor_session
from storedesk.chat.errors import ChatError
from storedesk.chat.models import ChatWidget, VisitorSession
from storedesk.chat.services import visitor_rate_limit

TOKEN_HEADER = "X-Chat-Token"  # noqa: S105  (a header name)
PREFLIGHT_MAX_AGE_SECONDS = 600
ERROR_STATUS = {"rate_limited": 429, "forbidden": 403, "offline": 409, "ended": 409, "no_chat": 404}


@dataclass(frozen=True)
class VisitorRequest:
    widget: ChatWidget
    session: VisitorSession | None
    payload: dict[str, Any]
    ip: str
    method: str
    files: list[UploadedFile]

    def require_session(self) -> VisitorSession:
        if self.session is None:
            raise ChatError("unauthenticated", _("The chat session has expired. Please reload."))
        return self.session

    def rate_limit(self) -> None:
        visitor_rate_limit(session_key=self.session.key if self.session else "", ip=self.ip)


def error_response(error: ChatError) -> JsonResponse:
    status = 401 if error.code == "unauthenticated" else ERROR_STATUS.get(error.code, 400)
    return JsonResponse({"error": error.code, "message": error.message}, status=status)


def cors(response: HttpResponseBase, origin: str) -> HttpResponseBase:
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Headers"] = f"Content-Type, {TOKEN_HEADER}"
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
    response["Vary"] = "Origin"
    return response


def payload_parse(request: HttpRequest) -> dict[str, Any]:
    if request.method != "POST":
        return dict(request.GET.items())
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError as error:
            raise ChatError("invalid", _("The request is not valid JSON.")) from error
        if not isinstance(data, dict):
            raise ChatError("invalid", _("The request is not valid JSON."))
        return data
    return dict(request.POST.items())


def widget_for(key: str) -> ChatWidget | None:
    return (
        ChatWidget.objects.select_related("inbox__brand", "offline_inbox")
        .filter(key=key, inbox__is_active=True)
        .first()
    )


def visitor_request_build(request: HttpRequest, widget: ChatWidget) -> VisitorRequest:
    token = request.headers.get(TOKEN_HEADER, "") or request.GET.get("token", "")
    return VisitorRequest(
        widget=widget,
        session=access_visitor_session(widget=widget, token=token),
        payload=payload_parse(request),
        ip=request.META.get("REMOTE_ADDR", ""),
        method=request.method or "GET",
        files=request.FILES.getlist("file"),
    )


VisitorView = Callable[..., HttpResponseBase]


def visitor_api(view: VisitorView) -> Callable[..., HttpResponseBase]:
    """Widget lookup, origin check, CORS, preflight, token, and ChatError -> JSON error."""

    @wraps(view)
    def wrapped(request: HttpRequest, key: str, **kwargs: Any) -> HttpResponseBase:
        widget = widget_for(key)
        origin = request.headers.get("Origin", "")
        if widget is None:
            return JsonResponse({"error": "not_found"}, status=404)
        # No Origin: not a cross-site browser request (those always carry one).
        own_origin = f"{request.scheme}://{request.get_host()}"
        if origin and not widget.allows_origin(origin, own_origin=own_origin):
            return JsonResponse({"error": "origin"}, status=403)
        if request.method == "OPTIONS":
            return cors(HttpResponse(status=204), origin)
        try:
            response = view(visitor_request_build(request, widget), **kwargs)
        except ChatError as error:
            response = error_response(error)
        return cors(response, origin)

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]  # token auth, no cookies
    return wrapped
