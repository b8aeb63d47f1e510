"""Template helpers for customer-facing pages."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from storedesk.core.sanitize import sanitize_html
from storedesk.portal.selectors import CustomerStatus, customer_status

register = template.Library()


@register.filter
def message_html(value: str) -> SafeString:
    """Stored message HTML, sanitised again on the way out (core.sanitize's policy)."""
    return mark_safe(sanitize_html(value))  # noqa: S308  # nh3 output is safe by construction


@register.filter
def friendly_status(status: str) -> CustomerStatus:
    return customer_status(status)
