from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from storedesk.core.devmail import captured_mail_list


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe; also the trivial baseline view of bench/inbox.py."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def devmail(request: HttpRequest, name: str = "") -> HttpResponse:
    """Development only: mail the capture backend wrote, newest first, links clickable."""
    if not settings.DEVELOPMENT:
        raise Http404
    mails = captured_mail_list()
    selected = next((mail for mail in mails if mail.name == name), None)
    if name and selected is None:
        raise Http404
    return render(request, "core/devmail.html", {"mails": mails, "selected": selected})
