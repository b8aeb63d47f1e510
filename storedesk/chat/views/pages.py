"""The widget script and the development demo shop."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from storedesk.chat.models import ChatWidget

# Shops cache the script briefly, so a new version reaches visitors within minutes.
WIDGET_MAX_AGE_SECONDS = 300
DEMO_WIDGET_KEY = "demo-shop"


@require_GET
def widget_script(request: HttpRequest) -> HttpResponseBase:
    path = finders.find("chat/widget.js")
    if not isinstance(path, str):
        raise Http404
    response = FileResponse(open(path, "rb"), content_type="text/javascript; charset=utf-8")  # noqa: SIM115  (FileResponse closes it)
    response["Cache-Control"] = f"public, max-age={WIDGET_MAX_AGE_SECONDS}"
    # Loaded by <script> from other sites; a cross-origin fetch of it is harmless too.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def demo_shop(request: HttpRequest) -> HttpResponse:
    """A shop page with the widget on it (development only; see storedesk/urls.py)."""
    widget = ChatWidget.objects.filter(key=DEMO_WIDGET_KEY).first()
    return render(request, "chat/demo_shop.html", {"widget": widget})
