"""The admins' mailbox health page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from storedesk.accounts.decorators import agent_required
from storedesk.accounts.models import User
from storedesk.mail.health import mailbox_health_list, probe_max_seconds


@agent_required
@require_GET
def mailbox_health(request: HttpRequest) -> HttpResponse:
    """Per address: status, last success, round trip, consecutive failures. Admins only."""
    user = request.user
    assert isinstance(user, User)
    if not user.is_admin:
        raise Http404  # agents do not learn that the page exists
    context = {"rows": mailbox_health_list(), "max_minutes": probe_max_seconds() // 60}
    return render(request, "mail/health.html", context)
