"""The rows of the inbox list, rendered in Python.

The list is the workspace's most viewed page. As a template, its 50 rows with their
includes were more than half the page's time at 1M conversations (bench/inbox.py,
~60 template variables a row, each escaped and localised); format_html does the same
escaping at a fraction of the cost. The small shared pieces (channel icon, agent avatar)
still come from their templates, rendered once per distinct value on the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from storedesk.accounts.models import User
from storedesk.conversations.enums import Priority
from storedesk.conversations.models import Conversation, Tag
from storedesk.conversations.templatetags.conversation_ui import machine_time, priority_label
from storedesk.core.text import initials

TAGS_SHOWN = 3
PRIORITY_BADGES = (Priority.URGENT, Priority.HIGH)


class _Pieces:
    """Renders each channel icon and agent avatar once per page."""

    def __init__(self) -> None:
        self._icons: dict[str, SafeString] = {}
        self._avatars: dict[int, SafeString] = {}

    def channel_icon(self, channel: str) -> SafeString:
        if channel not in self._icons:
            self._icons[channel] = mark_safe(  # noqa: S308 - a rendered template
                render_to_string(
                    "conversations/partials/_channel_icon.html", {"channel": channel}
                ).strip()
            )
        return self._icons[channel]

    def avatar(self, person: User) -> SafeString:
        if person.pk not in self._avatars:
            self._avatars[person.pk] = mark_safe(  # noqa: S308 - a rendered template
                render_to_string("workspace/_avatar.html", {"person": person, "size": "xs"})
            )
        return self._avatars[person.pk]


def render_inbox_rows(
    conversations: Sequence[Conversation], *, detail_url_prefix: str, query: str
) -> SafeString:
    """`<li>` rows for conversations from selectors.conversation_page_for_agent."""
    pieces = _Pieces()
    labels = {
        "no_subject": _("(no subject)"),
        "unassigned": _("Unassigned"),
    }
    suffix = f"?{query}" if query else ""
    return format_html_join(
        "", "{}", ((_row(c, detail_url_prefix, suffix, labels, pieces),) for c in conversations)
    )


def _row(
    conversation: Conversation,
    detail_url_prefix: str,
    suffix: str,
    labels: dict[str, str],
    pieces: _Pieces,
) -> SafeString:
    number = conversation.number
    customer = conversation.customer
    email: str = getattr(conversation, "customer_email", "") or ""
    customer_label = customer.name or email or customer.anonymous_label
    return format_html(
        '<li class="conv-row{waiting}" data-number="{number}">'
        '<label class="checkbox conv-check"><input type="checkbox" name="numbers"'
        ' value="{number}" form="bulk-form" data-row-check'
        ' aria-labelledby="row-{number}-customer row-{number}-subject"></label>'
        '<a class="conv-link" href="{href}">'
        '<span class="avatar avatar--md" style="--avatar-bg: {color}" aria-hidden="true">'
        "{initials}</span>"
        '<span class="conv-main"><span class="conv-line">'
        '<span class="conv-customer" id="row-{number}-customer">{customer}</span>'
        '{priority}<span class="conv-number">#{number}</span></span>'
        '<span class="conv-subject" id="row-{number}-subject">{subject}</span>'
        '<span class="conv-snippet">{snippet}</span></span>'
        '<span class="conv-meta">'
        '<time class="conv-time" datetime="{iso}" data-relative>{time}</time>'
        '<span class="conv-meta-line">{icon}{tags}{assignee}</span></span></a></li>',
        waiting=" is-waiting" if conversation.waiting_since else "",
        number=str(number),
        href=f"{detail_url_prefix}{number}/{suffix}",
        color=customer.avatar_color,
        initials=initials(customer_label),
        customer=customer_label,
        priority=_priority_badge(conversation.priority),
        subject=conversation.subject or labels["no_subject"],
        snippet=getattr(conversation, "snippet", "") or "",
        iso=conversation.last_message_at.isoformat(),
        time=machine_time(conversation.last_message_at),
        icon=pieces.channel_icon(conversation.channel),
        tags=_tags(getattr(conversation, "row_tags", [])),
        assignee=_assignee(conversation.assignee, labels["unassigned"], pieces),
    )


def _priority_badge(priority: str) -> SafeString | str:
    if priority not in PRIORITY_BADGES:
        return ""
    return format_html(
        '<span class="badge badge--{}">{}</span>', priority, priority_label(priority)
    )


def _tags(tags: Sequence[Tag]) -> SafeString:
    return format_html_join(
        "",
        '<span class="tag" style="--tag: {}">{}</span>',
        ((tag.color, tag.name) for tag in tags[:TAGS_SHOWN]),
    )


def _assignee(assignee: User | None, unassigned: str, pieces: _Pieces) -> Any:
    if assignee is None:
        return format_html('<span class="conv-unassigned">{}</span>', unassigned)
    return format_html(
        '<span class="conv-assignee" title="{}">{}</span>', assignee.name, pieces.avatar(assignee)
    )
