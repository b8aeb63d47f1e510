"""The admins' screens for inboxes and their addresses. Thin: form, one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from storedesk.accounts.decorators import admin_required
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.forms import InboxAddressForm, InboxCreateForm, InboxForm
from storedesk.inboxes.models import Inbox, InboxAddress
from storedesk.inboxes.services import (
    inbox_address_add,
    inbox_address_make_primary,
    inbox_address_remove,
    inbox_create,
    inbox_update,
)

SECTION = {"admin_section": "inboxes"}


@admin_required
def inbox_list(request: HttpRequest) -> HttpResponse:
    inboxes = Inbox.objects.select_related("brand", "team").prefetch_related("addresses")
    return render(request, "inboxes/admin/list.html", {"inboxes": inboxes, **SECTION})


@admin_required
@require_http_methods(["GET", "POST"])
def inbox_new(request: HttpRequest) -> HttpResponse:
    form = InboxCreateForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "inboxes/admin/form.html", {"form": form, **SECTION}, status=422)
        inbox = inbox_create(**form.cleaned_data)
        messages.success(request, _("Inbox created."))
        return redirect("inboxes:edit", inbox.pk)
    return render(request, "inboxes/admin/form.html", {"form": form, **SECTION})


@admin_required
@require_http_methods(["GET", "POST"])
def inbox_edit(request: HttpRequest, inbox_id: int) -> HttpResponse:
    inbox = get_object_or_404(Inbox.objects.select_related("brand"), pk=inbox_id)
    form = InboxForm(request.POST or None, initial=_initial(inbox))
    if request.method == "POST":
        if not form.is_valid():
            return _edit_page(request, inbox, form, status=422)
        inbox_update(inbox=inbox, **form.cleaned_data)
        messages.success(request, _("Inbox saved."))
        return redirect("inboxes:edit", inbox.pk)
    return _edit_page(request, inbox, form)


def _edit_page(
    request: HttpRequest,
    inbox: Inbox,
    form: InboxForm | None = None,
    *,
    address_form: InboxAddressForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    form = form or InboxForm(initial=_initial(inbox))
    address_form = address_form or InboxAddressForm()
    context = {"form": form, **SECTION, **_addresses_context(inbox, address_form, error)}
    return render(request, "inboxes/admin/form.html", context, status=status)


def _initial(inbox: Inbox) -> dict[str, object]:
    return {
        "name": inbox.name,
        "team": inbox.team_id,
        "signature": inbox.signature,
        "languages": inbox.languages,
        "is_active": inbox.is_active,
    }


def _addresses_context(inbox: Inbox, form: InboxAddressForm, error: str) -> dict[str, object]:
    return {
        "inbox": inbox,
        "is_email": inbox.channel == Channel.EMAIL,
        "addresses": inbox.addresses.all(),
        "address_form": form,
        "address_error": error,
    }


def _addresses(
    request: HttpRequest, inbox: Inbox, form: InboxAddressForm, error: str = ""
) -> HttpResponse:
    """The address section again (htmx), or the whole page for a plain form post."""
    status = 422 if error or form.errors else 200
    if request.headers.get("HX-Request") != "true":
        if status == 200:
            return redirect("inboxes:edit", inbox.pk)
        return _edit_page(request, inbox, address_form=form, error=error, status=status)
    context = _addresses_context(inbox, form, error)
    return render(request, "inboxes/admin/_addresses.html", context, status=status)


@admin_required
@require_POST
def address_add(request: HttpRequest, inbox_id: int) -> HttpResponse:
    inbox = get_object_or_404(Inbox, pk=inbox_id)
    form = InboxAddressForm(request.POST)
    if not form.is_valid():
        return _addresses(request, inbox, form)
    try:
        inbox_address_add(inbox=inbox, **form.cleaned_data)
    except ValidationError as exc:
        form.add_error("email", exc)
        return _addresses(request, inbox, form)
    return _addresses(request, inbox, InboxAddressForm())


@admin_required
@require_POST
def address_primary(request: HttpRequest, address_id: int) -> HttpResponse:
    address = get_object_or_404(InboxAddress.objects.select_related("inbox"), pk=address_id)
    inbox_address_make_primary(address=address)
    return _addresses(request, address.inbox, InboxAddressForm())


@admin_required
@require_POST
def address_remove(request: HttpRequest, address_id: int) -> HttpResponse:
    address = get_object_or_404(InboxAddress.objects.select_related("inbox"), pk=address_id)
    try:
        inbox_address_remove(address=address)
    except ValidationError as exc:
        return _addresses(request, address.inbox, InboxAddressForm(), error=exc.messages[0])
    return _addresses(request, address.inbox, InboxAddressForm())
