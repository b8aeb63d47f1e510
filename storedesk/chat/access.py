"""The only way to load a chat for an agent or a visitor. Missing and forbidden look alike."""

from __future__ import annotations

from django.http import Http404

from storedesk.accounts.models import User
from storedesk.chat.models import Chat, ChatWidget, VisitorSession
from storedesk.chat.services.visitors import visitor_key_from_token
from storedesk.conversations.access import conversations_visible_to_agent


def access_chat_for_agent(*, agent: User, conversation_id: int) -> Chat:
    chat = (
        Chat.objects.select_related(
            "conversation__customer", "conversation__inbox", "agent", "visitor", "widget"
        )
        .filter(pk=conversation_id, conversation__in=conversations_visible_to_agent(agent))
        .first()
    )
    if chat is None:
        raise Http404
    return chat


def access_visitor_session(*, widget: ChatWidget, token: str) -> VisitorSession | None:
    """The session a token signs, for this widget only; None for forged, foreign or stale ones."""
    key = visitor_key_from_token(token, widget_id=widget.pk) if token else None
    if key is None:
        return None
    return (
        VisitorSession.objects.select_related("widget__inbox", "customer")
        .filter(key=key, widget=widget)
        .first()
    )


def access_chat_for_visitor(*, session: VisitorSession, conversation_id: int) -> Chat:
    chat = (
        Chat.objects.select_related("conversation__customer", "agent", "visitor", "widget")
        .filter(pk=conversation_id, visitor=session)
        .first()
    )
    if chat is None:
        raise Http404
    return chat
