"""Writes to brands."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from storedesk.brands.models import Brand


def brand_time_zone_set(*, brand: Brand, time_zone: str) -> Brand:
    """Business hours, holidays and promised answer times are read in this zone.

    Raises ValidationError for a name the zone database does not know. No side effects.
    """
    if time_zone not in available_timezones():
        raise ValidationError(
            _("%(zone)s is not a known time zone.") % {"zone": time_zone}, code="unknown_zone"
        )
    brand.time_zone = time_zone
    brand.save(update_fields=["time_zone", "updated_at"])
    return brand
