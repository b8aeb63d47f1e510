"""Writes to routing: business hours with holidays, first-response targets, auto-reply texts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time

from django.db import transaction

from storedesk.brands.models import Brand
from storedesk.inboxes.models import Inbox
from storedesk.routing.models import (
    AutoReplyTemplate,
    BusinessHours,
    BusinessHoursInterval,
    Holiday,
    ResponseTarget,
)


@transaction.atomic
def business_hours_save(
    *,
    brand: Brand,
    schedule: BusinessHours | None,
    name: str,
    is_default: bool,
    intervals: Sequence[tuple[int, time, time]],
    holidays: Sequence[tuple[date, str]],
) -> BusinessHours:
    """Create (schedule None) or replace a brand's weekly schedule as a whole.

    `intervals` are (weekday 0=Monday, opens, closes) with closes 00:00 meaning midnight;
    `holidays` (local date, name). Side effects: with is_default, the brand's previous
    default schedule stops being the default. Promised answer times use the new schedule
    from the next conversation on.
    """
    if is_default:
        previous = BusinessHours.objects.filter(brand=brand, is_default=True)
        if schedule is not None:
            previous = previous.exclude(pk=schedule.pk)
        previous.update(is_default=False)
    if schedule is None:
        schedule = BusinessHours.objects.create(brand=brand, name=name, is_default=is_default)
    else:
        schedule.name, schedule.is_default = name, is_default
        schedule.save(update_fields=["name", "is_default", "updated_at"])
        schedule.intervals.all().delete()
        schedule.holidays.all().delete()
    BusinessHoursInterval.objects.bulk_create(
        BusinessHoursInterval(schedule=schedule, weekday=day, opens_at=opens, closes_at=closes)
        for day, opens, closes in intervals
    )
    Holiday.objects.bulk_create(
        Holiday(schedule=schedule, date=day, name=label) for day, label in holidays
    )
    return schedule


def response_target_set(
    *, inbox: Inbox, first_response_seconds: int, business_hours: BusinessHours | None
) -> ResponseTarget:
    """How soon `inbox` promises a first answer, counted in `business_hours` (None: the
    brand's default schedule). No side effects beyond the row."""
    target, _created = ResponseTarget.objects.update_or_create(
        inbox=inbox,
        defaults={
            "first_response_seconds": first_response_seconds,
            "business_hours": business_hours,
        },
    )
    return target


def auto_reply_template_save(
    *, inbox: Inbox, language: str, subject: str, body: str
) -> AutoReplyTemplate:
    """The inbox's own acknowledgement in `language`, replacing the built-in text."""
    template, _created = AutoReplyTemplate.objects.update_or_create(
        inbox=inbox, language=language, defaults={"subject": subject, "body": body}
    )
    return template


def auto_reply_template_reset(*, inbox: Inbox, language: str) -> bool:
    """Back to the built-in text for `language`; True when there was an own text."""
    deleted, _rows = AutoReplyTemplate.objects.filter(inbox=inbox, language=language).delete()
    return deleted > 0
