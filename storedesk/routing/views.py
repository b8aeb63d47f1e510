"""The admins' screens for business hours, holidays, time zones and response targets."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from storedesk.accounts.decorators import admin_required
from storedesk.brands.models import Brand
from storedesk.brands.services import brand_time_zone_set
from storedesk.inboxes.models import Inbox
from storedesk.routing.forms import BusinessHoursForm, ResponseTargetForm, TimeZoneForm
from storedesk.routing.models import BusinessHours, ResponseTarget
from storedesk.routing.services import business_hours_save, response_target_set

SECTION = {"admin_section": "hours"}


@admin_required
def hours_list(request: HttpRequest) -> HttpResponse:
    """Per brand: its time zone, schedules and the first-response target of each inbox."""
    brands = Brand.objects.prefetch_related(
        Prefetch(
            "business_hours",
            queryset=BusinessHours.objects.prefetch_related("intervals", "holidays"),
        ),
        Prefetch(
            "inboxes", queryset=Inbox.objects.select_related("response_target__business_hours")
        ),
    )
    rows = [(brand, TimeZoneForm(initial={"time_zone": brand.time_zone})) for brand in brands]
    return render(request, "routing/admin/list.html", {"rows": rows, **SECTION})


@admin_required
@require_POST
def time_zone_set(request: HttpRequest, brand_id: int) -> HttpResponse:
    brand = get_object_or_404(Brand, pk=brand_id)
    form = TimeZoneForm(request.POST)
    if form.is_valid():
        try:
            brand_time_zone_set(brand=brand, time_zone=form.cleaned_data["time_zone"])
        except ValidationError as exc:
            form.add_error("time_zone", exc)
    if form.errors:
        messages.error(request, " ".join(str(error) for error in form.errors["time_zone"]))
    else:
        messages.success(request, _("Time zone of %(brand)s saved.") % {"brand": brand.name})
    return redirect("routing:hours_list")


@admin_required
@require_http_methods(["GET", "POST"])
def hours_new(request: HttpRequest, brand_id: int) -> HttpResponse:
    brand = get_object_or_404(Brand, pk=brand_id)
    return _hours_form(request, brand=brand, schedule=None, initial={})


@admin_required
@require_http_methods(["GET", "POST"])
def hours_edit(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = get_object_or_404(BusinessHours.objects.select_related("brand"), pk=schedule_id)
    initial = BusinessHoursForm.initial_for(schedule)
    return _hours_form(request, brand=schedule.brand, schedule=schedule, initial=initial)


def _hours_form(
    request: HttpRequest,
    *,
    brand: Brand,
    schedule: BusinessHours | None,
    initial: dict[str, object],
) -> HttpResponse:
    form = BusinessHoursForm(request.POST or None, initial=initial)
    context = {"form": form, "brand": brand, "schedule": schedule, **SECTION}
    if request.method != "POST":
        return render(request, "routing/admin/hours_form.html", context)
    if not form.is_valid():
        return render(request, "routing/admin/hours_form.html", context, status=422)
    data = form.cleaned_data
    business_hours_save(
        brand=brand,
        schedule=schedule,
        name=data["name"],
        is_default=data["is_default"],
        intervals=data["intervals"],
        holidays=data["holidays"],
    )
    messages.success(request, _("Business hours saved."))
    return redirect("routing:hours_list")


@admin_required
@require_http_methods(["GET", "POST"])
def target_edit(request: HttpRequest, inbox_id: int) -> HttpResponse:
    inbox = get_object_or_404(Inbox.objects.select_related("brand"), pk=inbox_id)
    target = ResponseTarget.objects.filter(inbox=inbox).first()
    seconds = target.first_response_seconds if target else 4 * 3600
    initial = {
        "hours": seconds // 3600,
        "minutes": seconds % 3600 // 60,
        "business_hours": target.business_hours_id if target else None,
    }
    form = ResponseTargetForm(request.POST or None, brand=inbox.brand, initial=initial)
    context = {"form": form, "inbox": inbox, **SECTION}
    if request.method != "POST":
        return render(request, "routing/admin/target_form.html", context)
    if not form.is_valid():
        return render(request, "routing/admin/target_form.html", context, status=422)
    response_target_set(
        inbox=inbox,
        first_response_seconds=form.cleaned_data["first_response_seconds"],
        business_hours=form.cleaned_data["business_hours"],
    )
    messages.success(request, _("First-response target saved."))
    return redirect("routing:hours_list")
