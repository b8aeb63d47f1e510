"""The admins' business-hours, time-zone and first-response-target screens."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.test import Client
from django.urls import reverse

from storedesk.brands.tests.factories import create_brand
from storedesk.inboxes.models import Inbox
from storedesk.routing.models import BusinessHours, Holiday, ResponseTarget
from storedesk.routing.tests.factories import create_business_hours

pytestmark = pytest.mark.django_db
WEEK = {f"day_{n}": "" for n in range(7)}


def _pages(inbox: Inbox, schedule: BusinessHours) -> list[str]:
    return [
        reverse("routing:hours_list"),
        reverse("routing:hours_new", args=[inbox.brand_id]),
        reverse("routing:hours_edit", args=[schedule.pk]),
        reverse("routing:target_edit", args=[inbox.pk]),
    ]


def test_agent_gets_not_found(email_inbox: Inbox, agent_client: Client) -> None:
    schedule = create_business_hours(brand=email_inbox.brand)
    for url in _pages(email_inbox, schedule):
        assert agent_client.get(url).status_code == 404
    url = reverse("routing:time_zone_set", args=[email_inbox.brand_id])
    assert agent_client.post(url, {"time_zone": "Asia/Tokyo"}).status_code == 404
    email_inbox.brand.refresh_from_db()
    assert email_inbox.brand.time_zone != "Asia/Tokyo"


def test_admin_sees_every_page(email_inbox: Inbox, admin_client: Client) -> None:
    schedule = create_business_hours(brand=email_inbox.brand)
    for url in _pages(email_inbox, schedule):
        assert admin_client.get(url).status_code == 200
    edit = admin_client.get(reverse("routing:hours_edit", args=[schedule.pk])).content.decode()
    assert 'value="09:00-12:00, 13:00-17:00"' in edit


def test_admin_creates_a_schedule_with_breaks_and_holidays(
    email_inbox: Inbox, admin_client: Client
) -> None:
    old_default = create_business_hours(brand=email_inbox.brand, name="Old")
    response = admin_client.post(
        reverse("routing:hours_new", args=[email_inbox.brand_id]),
        {
            **WEEK,
            "name": "Winter",
            "is_default": "on",
            "day_0": "08:00-12:00; 13:00-16:30",
            "day_5": "00:00-24:00",
            "holidays": "2026-12-24 Christmas Eve\n\n2026-12-31",
        },
    )
    assert response.status_code == 302
    schedule = BusinessHours.objects.get(name="Winter")
    intervals = list(schedule.intervals.values_list("weekday", "opens_at", "closes_at"))
    assert intervals == [
        (0, time(8), time(12)),
        (0, time(13), time(16, 30)),
        (5, time(0), time(0)),
    ]
    assert list(Holiday.objects.filter(schedule=schedule).values_list("date", "name")) == [
        (date(2026, 12, 24), "Christmas Eve"),
        (date(2026, 12, 31), ""),
    ]
    old_default.refresh_from_db()
    assert (schedule.is_default, old_default.is_default) == (True, False)


@pytest.mark.parametrize(
    ("field", "typed", "error"),
    [
        ("day_1", "9-17", "“9-17” is not a time range"),
        ("day_1", "17:00-09:00", "the closing time is not after the opening time"),
        ("day_1", "25:00-26:00", "has a time that does not exist"),
        ("holidays", "24/12/2026 Christmas", "Line 1: “24/12/2026” is not a date"),
    ],
)
def test_bad_hours_are_explained_and_nothing_changes(
    email_inbox: Inbox, admin_client: Client, field: str, typed: str, error: str
) -> None:
    schedule = create_business_hours(brand=email_inbox.brand)
    data = {**WEEK, "name": "Office hours", "day_0": "10:00-11:00", field: typed}

    response = admin_client.post(reverse("routing:hours_edit", args=[schedule.pk]), data)

    assert response.status_code == 422
    assert error in response.content.decode()
    assert schedule.intervals.count() == 10  # the factory's week, untouched


def test_time_zone_is_saved_and_unknown_zone_refused(
    email_inbox: Inbox, admin_client: Client
) -> None:
    url = reverse("routing:time_zone_set", args=[email_inbox.brand_id])
    admin_client.post(url, {"time_zone": "Asia/Tokyo"})
    response = admin_client.post(url, {"time_zone": "Mars/Olympus"}, follow=True)

    email_inbox.brand.refresh_from_db()
    assert email_inbox.brand.time_zone == "Asia/Tokyo"
    assert "Select a valid choice. Mars/Olympus" in response.content.decode()


def test_first_response_target_saved(email_inbox: Inbox, admin_client: Client) -> None:
    schedule = create_business_hours(brand=email_inbox.brand)
    url = reverse("routing:target_edit", args=[email_inbox.pk])

    response = admin_client.post(url, {"hours": 2, "minutes": 30, "business_hours": schedule.pk})

    assert response.status_code == 302
    target = ResponseTarget.objects.get()
    assert (target.inbox, target.first_response_seconds, target.business_hours) == (
        email_inbox,
        9000,
        schedule,
    )


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"hours": 0, "minutes": 0}, "The target must be at least one minute."),
        ({"hours": -1, "minutes": 0}, "Ensure this value is greater than or equal to 0."),
        ({"hours": 1, "minutes": 60}, "Ensure this value is less than or equal to 59."),
    ],
)
def test_bad_target_is_refused(
    email_inbox: Inbox, admin_client: Client, data: dict[str, int], error: str
) -> None:
    response = admin_client.post(reverse("routing:target_edit", args=[email_inbox.pk]), data)
    assert response.status_code == 422
    assert error in response.content.decode()
    assert not ResponseTarget.objects.exists()


def test_schedule_of_another_brand_cannot_be_chosen(
    email_inbox: Inbox, admin_client: Client
) -> None:
    foreign = create_business_hours(brand=create_brand())
    response = admin_client.post(
        reverse("routing:target_edit", args=[email_inbox.pk]),
        {"hours": 1, "minutes": 0, "business_hours": foreign.pk},
    )
    assert response.status_code == 422
    assert not ResponseTarget.objects.exists()
