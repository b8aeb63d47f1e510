"""Reads for routing: an inbox's schedule and target, and the promised first-response time.

The formula is documented in docs/subsystems/sla-clock.md; keep the two in step.
"""

from __future__ import annotations

import itertools
import logging
import statistics
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.cache import cache

from storedesk.brands.models import Brand
from storedesk.conversations.enums import ConversationStatus
from storedesk.conversations.models import Conversation
from storedesk.inboxes.models import Inbox
from storedesk.routing.business_hours import (
    Schedule,
    business_seconds_between,
    business_time_add,
    schedule_build,
)
from storedesk.routing.models import BusinessHours, ResponseTarget

logger = logging.getLogger(__name__)

DEFAULT_FIRST_RESPONSE_SECONDS = 24 * 3600
PACE_SAMPLE_SIZE = 50
# The pace changes slowly; caching it keeps the median query out of every intake.
PACE_CACHE_SECONDS = 300
WAITING_STATUSES = (ConversationStatus.NEW, ConversationStatus.OPEN)


def brand_time_zone(brand: Brand) -> ZoneInfo:
    """The brand's zone; UTC (logged) when the stored name is not a known zone."""
    try:
        return ZoneInfo(brand.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning(
            "routing.time_zone.unknown", extra={"brand": brand.pk, "time_zone": brand.time_zone}
        )
        return ZoneInfo("UTC")


def response_target_get_for_inbox(inbox: Inbox) -> ResponseTarget | None:
    return ResponseTarget.objects.select_related("business_hours").filter(inbox=inbox).first()


def business_hours_get_for_inbox(
    inbox: Inbox, target: ResponseTarget | None = None
) -> BusinessHours | None:
    """The target's schedule, else the brand's default schedule, else None (24/7)."""
    if target is not None and target.business_hours is not None:
        return target.business_hours
    return BusinessHours.objects.filter(brand_id=inbox.brand_id, is_default=True).first()


def schedule_load(business_hours: BusinessHours | None, *, time_zone: ZoneInfo) -> Schedule:
    """The pure Schedule for a stored one; 24/7 for none or one without any opening."""
    if business_hours is None:
        return Schedule.always_open(time_zone)
    schedule = schedule_build(
        time_zone=time_zone,
        intervals=business_hours.intervals.values_list("weekday", "opens_at", "closes_at"),
        holidays=business_hours.holidays.values_list("date", flat=True),
    )
    if not schedule.has_openings:
        # A schedule that never opens would make every promise infinite; an empty one is
        # an unfinished setup, so promise as if always open and say so in the log.
        logger.warning("routing.business_hours.empty", extra={"business_hours": business_hours.pk})
        return Schedule.always_open(time_zone)
    return schedule


def first_response_backlog_count(inbox: Inbox) -> int:
    """Conversations of the inbox still waiting for their first response."""
    return Conversation.objects.filter(
        inbox=inbox, status__in=WAITING_STATUSES, first_response_at__isnull=True
    ).count()


def first_response_pace_seconds(*, inbox: Inbox, schedule: Schedule) -> int | None:
    """How often the inbox answers a new conversation: the median business time between
    consecutive first responses of its last answered conversations (its throughput).

    None without at least two first responses to compare. Cached per inbox for a few
    minutes, so intake does not run this query for every mail.
    """
    key = f"routing:pace:{inbox.pk}"
    cached = cache.get(key)
    if isinstance(cached, int):
        return cached or None
    answered_at = list(
        Conversation.objects.filter(inbox=inbox, first_response_at__isnull=False)
        .order_by("-first_response_at")
        .values_list("first_response_at", flat=True)[: PACE_SAMPLE_SIZE + 1]
    )
    gaps = [
        business_seconds_between(schedule, earlier, later)
        for later, earlier in itertools.pairwise(answered_at)
        if earlier is not None and later is not None
    ]
    pace = int(statistics.median(gaps)) if gaps else 0
    cache.set(key, pace, PACE_CACHE_SECONDS)
    return pace or None


def expected_first_response_at(
    *, inbox: Inbox, now: datetime, backlog: int | None = None
) -> datetime:
    """When the inbox can honestly promise a first response to a conversation arriving now.

    business seconds = max(target, backlog x pace), where pace is the inbox's recent
    throughput (first_response_pace_seconds; without history the target alone is promised),
    added to `now` in business time (so a
    conversation arriving while closed starts counting at the next opening). `backlog`
    defaults to the conversations waiting for a first response, the new one included once
    stored. Returned in the brand's time zone.
    """
    target = response_target_get_for_inbox(inbox)
    target_seconds = target.first_response_seconds if target else DEFAULT_FIRST_RESPONSE_SECONDS
    schedule = schedule_load(
        business_hours_get_for_inbox(inbox, target), time_zone=brand_time_zone(inbox.brand)
    )
    waiting = first_response_backlog_count(inbox) if backlog is None else max(backlog, 0)
    needed = target_seconds
    pace = first_response_pace_seconds(inbox=inbox, schedule=schedule) if waiting else None
    if pace is not None:
        needed = max(target_seconds, waiting * pace)
    return business_time_add(schedule=schedule, start=now, seconds=needed)
