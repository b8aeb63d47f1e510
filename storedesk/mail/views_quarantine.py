"""The admins' quarantine: mail intake could not take, its raw source, re-process, discard."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from storedesk.accounts.decorators import admin_required
from storedesk.accounts.models import User
from storedesk.mail.enums import RawEmailState
from storedesk.mail.intake import raw_email_reprocess
from storedesk.mail.models import RawEmail
from storedesk.mail.quarantine import quarantine_list, raw_source_text
from storedesk.mail.services import quarantined_email_discard

SECTION = {"admin_section": "quarantine"}


@admin_required
def quarantine(request: HttpRequest) -> HttpResponse:
    return render(request, "mail/admin/quarantine.html", {"rows": quarantine_list(), **SECTION})


@admin_required
def quarantine_detail(request: HttpRequest, raw_email_id: int) -> HttpResponse:
    """Any stored mail's raw source, as text (escaped by the template), never as HTML."""
    raw_email = get_object_or_404(RawEmail, pk=raw_email_id)
    context = {"raw_email": raw_email, "source": raw_source_text(raw_email), **SECTION}
    return render(request, "mail/admin/quarantine_detail.html", context)


@admin_required
@require_POST
def quarantine_reprocess(request: HttpRequest, raw_email_id: int) -> HttpResponse:
    """Through intake again, now; the page says what became of it."""
    raw_email = get_object_or_404(RawEmail, pk=raw_email_id)
    deliveries = raw_email_reprocess(raw_email=raw_email)
    raw_email.refresh_from_db(fields=["state", "reason", "kind"])
    numbers = sorted({d.message.conversation.number for d in deliveries if d.message is not None})
    context = {"raw_email": raw_email, "numbers": numbers, "reprocessed": True, **SECTION}
    context["source"] = raw_source_text(raw_email)
    return render(request, "mail/admin/quarantine_detail.html", context)


@admin_required
@require_POST
def quarantine_discard(request: HttpRequest, raw_email_id: int) -> HttpResponse:
    raw_email = get_object_or_404(RawEmail, pk=raw_email_id, state=RawEmailState.QUARANTINED)
    user = request.user
    assert isinstance(user, User)
    if quarantined_email_discard(raw_email=raw_email, actor=user):
        messages.success(request, _("Mail discarded. It is kept, marked with your name."))
    return redirect("mail:admin_quarantine")
