from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.conversations.enums import ConversationStatus
from storedesk.conversations.models import Conversation
from storedesk.conversations.tests.factories import create_conversation
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.routing.models import BusinessHours
from storedesk.routing.selectors import (
    expected_first_response_at,
    first_response_backlog_count,
)
from storedesk.routing.tests.factories import create_business_hours, create_response_target

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HOUR = 3600
# Friday 16:00 in Stockholm; office hours give one hour on Friday, then Monday.
FRIDAY_1600 = datetime(2026, 3, 20, 16, tzinfo=STOCKHOLM)

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox() -> Inbox:
    return create_inbox(brand=create_brand())


def test_without_schedule_or_target_promises_24_hours_round_the_clock(inbox: Inbox) -> None:
    result = expected_first_response_at(inbox=inbox, now=FRIDAY_1600, backlog=0)

    assert result == FRIDAY_1600 + timedelta(hours=24)
    assert result.tzinfo == STOCKHOLM


def test_target_in_brand_business_hours(inbox: Inbox) -> None:
    create_business_hours(brand=inbox.brand)
    create_response_target(inbox=inbox, seconds=4 * HOUR)

    result = expected_first_response_at(inbox=inbox, now=FRIDAY_1600, backlog=0)

    # Friday 16-17, Monday 09-12.
    assert result == datetime(2026, 3, 23, 12, tzinfo=STOCKHOLM)


def test_arrival_while_closed_counts_from_the_next_opening(inbox: Inbox) -> None:
    create_business_hours(brand=inbox.brand)
    create_response_target(inbox=inbox, seconds=HOUR)
    saturday = datetime(2026, 3, 21, 11, tzinfo=STOCKHOLM)

    result = expected_first_response_at(inbox=inbox, now=saturday, backlog=0)

    assert result == datetime(2026, 3, 23, 10, tzinfo=STOCKHOLM)


def test_targets_own_schedule_wins_over_brand_default(inbox: Inbox) -> None:
    create_business_hours(brand=inbox.brand)
    weekend_desk = create_business_hours(
        brand=inbox.brand,
        intervals=[(5, time(10), time(14))],
        is_default=False,
        name="Weekend desk",
    )
    create_response_target(inbox=inbox, seconds=HOUR, business_hours=weekend_desk)

    result = expected_first_response_at(inbox=inbox, now=FRIDAY_1600, backlog=0)

    assert result == datetime(2026, 3, 21, 11, tzinfo=STOCKHOLM)


def test_schedule_without_openings_counts_as_always_open(inbox: Inbox) -> None:
    create_business_hours(brand=inbox.brand, intervals=[])
    create_response_target(inbox=inbox, seconds=HOUR)

    result = expected_first_response_at(inbox=inbox, now=FRIDAY_1600, backlog=0)

    assert result == FRIDAY_1600 + timedelta(hours=1)


def test_unknown_brand_time_zone_falls_back_to_utc() -> None:
    brand = create_brand()
    Brand.objects.filter(pk=brand.pk).update(time_zone="Mars/Olympus_Mons")
    inbox = create_inbox(brand=Brand.objects.get(pk=brand.pk))
    now = datetime(2026, 3, 20, 16, tzinfo=UTC)

    result = expected_first_response_at(inbox=inbox, now=now, backlog=0)

    assert result == now + timedelta(hours=24)
    assert result.utcoffset() == timedelta(0)


def test_grows_with_backlog(inbox: Inbox) -> None:
    create_business_hours(brand=inbox.brand)
    create_response_target(inbox=inbox, seconds=HOUR)
    monday_0900 = datetime(2026, 3, 16, 9, tzinfo=STOCKHOLM)
    for hour in range(3):  # the inbox answers one new conversation an hour
        conversation = create_conversation(inbox=inbox)
        Conversation.objects.filter(pk=conversation.pk).update(
            first_response_at=monday_0900 + timedelta(hours=hour)
        )

    results = [
        expected_first_response_at(inbox=inbox, now=FRIDAY_1600, backlog=backlog)
        for backlog in (0, 1, 2, 5, 12)
    ]

    assert results == sorted(results)
    # Each waiting conversation takes one hour of business time.
    assert results[1] == datetime(2026, 3, 20, 17, tzinfo=STOCKHOLM)
    assert results[2] == datetime(2026, 3, 23, 10, tzinfo=STOCKHOLM)
    assert results[3] == datetime(2026, 3, 23, 14, tzinfo=STOCKHOLM)
    assert results[4] == datetime(2026, 3, 24, 14, tzinfo=STOCKHOLM)


def test_backlog_counts_conversations_waiting_for_a_first_response(inbox: Inbox) -> None:
    waiting = [create_conversation(inbox=inbox) for _ in range(3)]
    answered = create_conversation(inbox=inbox)
    Conversation.objects.filter(pk=answered.pk).update(first_response_at=FRIDAY_1600)
    Conversation.objects.filter(pk=waiting[0].pk).update(status=ConversationStatus.OPEN)
    pending = create_conversation(inbox=inbox)
    Conversation.objects.filter(pk=pending.pk).update(status=ConversationStatus.PENDING)
    create_conversation()  # another inbox

    assert first_response_backlog_count(inbox) == 3


def test_default_backlog_is_read_from_the_inbox(inbox: Inbox) -> None:
    create_response_target(inbox=inbox, seconds=HOUR)
    for _ in range(3):
        create_conversation(inbox=inbox)

    result = expected_first_response_at(inbox=inbox, now=FRIDAY_1600)

    assert result == expected_first_response_at(inbox=inbox, now=FRIDAY_1600, backlog=3)
    # No answered history to measure a pace: the target alone is promised.
    assert result == FRIDAY_1600 + timedelta(hours=1)


def test_pace_is_the_median_gap_between_recent_first_responses(inbox: Inbox) -> None:
    create_business_hours(brand=inbox.brand)
    create_response_target(inbox=inbox, seconds=HOUR)
    monday_0900 = datetime(2026, 3, 16, 9, tzinfo=STOCKHOLM)
    # First responses at 9:00, 9:30, 11:30 and 15:00: gaps of 30 min, 2 h and 2.5 h of
    # business time (12:00-13:00 is lunch), so the median gap is 2 h.
    for answered in [
        monday_0900,
        monday_0900 + timedelta(minutes=30),
        monday_0900 + timedelta(hours=2, minutes=30),
        monday_0900 + timedelta(hours=6),
    ]:
        conversation = create_conversation(inbox=inbox)
        Conversation.objects.filter(pk=conversation.pk).update(first_response_at=answered)

    one = expected_first_response_at(inbox=inbox, now=FRIDAY_1600, backlog=1)
    three = expected_first_response_at(inbox=inbox, now=FRIDAY_1600, backlog=3)

    # max(target 1 h, 1 x 2 h) = 2 h; max(1 h, 3 x 2 h) = 6 h.
    assert one == datetime(2026, 3, 23, 10, tzinfo=STOCKHOLM)
    assert three == datetime(2026, 3, 23, 15, tzinfo=STOCKHOLM)


def test_one_default_schedule_per_brand(inbox: Inbox) -> None:
    create_business_hours(brand=inbox.brand)
    with pytest.raises(IntegrityError), transaction.atomic():
        create_business_hours(brand=inbox.brand, name="Second")

    assert BusinessHours.objects.filter(brand=inbox.brand).count() == 1
