"""Setting up the widget of a chat inbox."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from storedesk.chat.errors import ChatError
from storedesk.chat.models import ChatWidget
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox


def chat_widget_ensure(
    *,
    inbox: Inbox,
    key: str = "",
    offline_inbox: Inbox | None = None,
    allowed_origins: Sequence[str] = (),
) -> ChatWidget:
    """The chat inbox's widget, created with these settings when it has none (idempotent)."""
    if inbox.channel != Channel.CHAT:
        raise ChatError("invalid", _("Only a chat inbox has a chat widget."))
    if offline_inbox is not None and offline_inbox.channel != Channel.EMAIL:
        raise ChatError("invalid", _("Messages left offline go to an email inbox."))
    defaults: dict[str, object] = {
        "offline_inbox": offline_inbox,
        "allowed_origins": list(allowed_origins),
    }
    if key:
        defaults["key"] = key
    widget, _created = ChatWidget.objects.get_or_create(inbox=inbox, defaults=defaults)
    return widget
