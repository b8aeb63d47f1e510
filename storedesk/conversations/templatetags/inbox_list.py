"""The inbox list's rows (see conversations/inbox_rows.py for why they are not a template)."""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.safestring import SafeString

from storedesk.conversations.inbox_rows import render_inbox_rows
from storedesk.conversations.models import Conversation

register = template.Library()


@register.simple_tag
def inbox_rows(
    conversations: Sequence[Conversation], detail_url_prefix: str, query: str
) -> SafeString:
    return render_inbox_rows(conversations, detail_url_prefix=detail_url_prefix, query=query)
