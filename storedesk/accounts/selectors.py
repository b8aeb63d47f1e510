"""Reads about agents."""

from __future__ import annotations

import zoneinfo
from functools import cache

from storedesk.accounts.models import User

# Regions people actually live in; available_timezones() also lists legacy aliases.
_TIME_ZONE_REGIONS = ("Africa/", "America/", "Asia/", "Atlantic/", "Australia/", "Europe/",
                      "Indian/", "Pacific/")


def user_get_by_login(*, login: str) -> User | None:
    """The agent signing in with `login`: a username, or an email address."""
    login = login.strip()
    if "@" in login:
        return User.objects.filter(email__iexact=login).first()
    return User.objects.filter(username=login).first()


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(
        name for name in zoneinfo.available_timezones() if name.startswith(_TIME_ZONE_REGIONS)
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]
