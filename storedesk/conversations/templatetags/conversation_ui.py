"""Small display helpers for the agent workspace templates."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from django import template
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language

from storedesk.conversations.enums import ConversationStatus, Priority
from storedesk.core.text import initials
from storedesk.inboxes.enums import Channel

register = template.Library()


@lru_cache(maxsize=64)
def _choice_labels(choices: type[models.TextChoices], language: str) -> dict[str, str]:
    # Evaluating a lazy label costs a gettext call; a list page asks for the same few
    # labels hundreds of times, so they are resolved once per enum and language.
    return {choice.value: str(choice.label) for choice in choices}


def _label(choices: type[models.TextChoices], value: str) -> str:
    return _choice_labels(choices, get_language() or "").get(value, value)


@register.filter
def status_label(value: str) -> str:
    return _label(ConversationStatus, value)


@register.filter
def priority_label(value: str) -> str:
    return _label(Priority, value)


@register.filter
def channel_label(value: str) -> str:
    return _label(Channel, value)


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current inbox query string with some parameters replaced (empty removes one)."""
    from storedesk.conversations.forms import filter_query

    request = context["request"]
    return filter_query(request.GET, **{k: str(v or "") for k, v in changes.items()})


@lru_cache(maxsize=16)
def _view_labels(language: str) -> dict[str, str]:
    from django.utils.translation import gettext as _

    return {
        "open": _("Open"), "pending": _("Pending"), "on_hold": _("On hold"),
        "snoozed": _("Snoozed"), "solved": _("Solved"), "closed": _("Closed"),
        "spam": _("Spam"), "trash": _("Trash"), "all": _("All"),
        "mine": _("Mine"), "unassigned": _("Unassigned"),
    }


@register.filter
def view_label(value: str) -> str:
    """The name of an inbox status view (a key of selectors.STATUS_VIEWS, snoozed, all)."""
    return _view_labels(get_language() or "").get(value, value)


@register.filter
def iso_datetime(value: str | None) -> datetime | None:
    """An ISO timestamp stored in an event's data, as a datetime the date filters localise."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@register.filter
def machine_time(value: datetime | None) -> str:
    """A timestamp in the active time zone as "YYYY-MM-DD HH:MM".

    Rows show it until workspace.js turns every `time[data-relative]` into "5 minutes ago"
    in the page's language (Intl.RelativeTimeFormat), which also keeps it current. Django's
    naturaltime and date filters cost ~60 microseconds each, which at 50 rows was a tenth of
    the inbox page's time (bench/inbox.py).
    """
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


register.filter("initials", initials)
