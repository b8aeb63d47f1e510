"""The deflection rate: of the visits where a customer opened a suggested article, how
many ended without a request being sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from storedesk.brands.models import Brand
from storedesk.knowledge.models import DeflectionSession


@dataclass(frozen=True)
class DeflectionStats:
    suggested: int  # visits shown at least one suggestion
    opened: int  # ... of which the customer opened one
    answered: int  # ... or said one answered the question
    requests_after_open: int  # opened, and still sent a request
    requests_without_open: int  # shown suggestions, opened none, sent a request

    @property
    def deflected(self) -> int:
        return self.opened - self.requests_after_open

    @property
    def rate(self) -> float | None:
        """Deflected over opened; None when no suggestion was opened in the period."""
        return self.deflected / self.opened if self.opened else None


def deflection_stats(*, brand: Brand | None, start: datetime, end: datetime) -> DeflectionStats:
    """Visits that started in [start, end), for one brand or all."""
    sessions = DeflectionSession.objects.filter(
        created_at__gte=start, created_at__lt=end, suggested_at__isnull=False
    )
    if brand is not None:
        sessions = sessions.filter(brand=brand)
    opened = Q(opened_at__isnull=False)
    sent = Q(request_sent_at__isnull=False)
    counts = sessions.aggregate(
        suggested=Count("id"),
        opened=Count("id", filter=opened),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        requests_after_open=Count("id", filter=opened & sent),
        requests_without_open=Count("id", filter=~opened & sent),
    )
    return DeflectionStats(**counts)
