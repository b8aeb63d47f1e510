from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from storedesk.brands.models import Brand
from storedesk.inboxes.models import Inbox
from storedesk.routing.models import BusinessHours, BusinessHoursInterval, Holiday, ResponseTarget

# Monday to Friday 09:00-17:00 with a lunch break 12:00-13:00.
OFFICE_WEEK: tuple[tuple[int, time, time], ...] = tuple(
    (day, opens, closes)
    for day in range(5)
    for opens, closes in ((time(9), time(12)), (time(13), time(17)))
)


def create_business_hours(
    *,
    brand: Brand,
    intervals: Iterable[tuple[int, time, time]] = OFFICE_WEEK,
    holidays: Iterable[date] = (),
    is_default: bool = True,
    name: str = "Office hours",
) -> BusinessHours:
    schedule = BusinessHours.objects.create(brand=brand, name=name, is_default=is_default)
    BusinessHoursInterval.objects.bulk_create(
        BusinessHoursInterval(schedule=schedule, weekday=day, opens_at=opens, closes_at=closes)
        for day, opens, closes in intervals
    )
    Holiday.objects.bulk_create(Holiday(schedule=schedule, date=day) for day in holidays)
    return schedule


def create_response_target(
    *, inbox: Inbox, seconds: int, business_hours: BusinessHours | None = None
) -> ResponseTarget:
    return ResponseTarget.objects.create(
        inbox=inbox, first_response_seconds=seconds, business_hours=business_hours
    )
