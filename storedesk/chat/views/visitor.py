"""The widget's HTTP API (every write ends in the same service as the websocket's)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase

from storedesk.chat.access import access_chat_for_visitor
from storedesk.chat.errors import ChatError
from storedesk.chat.models import Chat
from storedesk.chat.realtime import typing_publish
from storedesk.chat.selectors import (
    chat_entries_for_visitor,
    chat_open_for_visitor,
    chat_state,
    widget_is_online,
)
from storedesk.chat.services import (
    IdentityClaim,
    PageView,
    chat_end,
    chat_message_send_visitor,
    chat_read_mark,
    chat_start,
    chat_transcript_request,
    offline_message_leave,
    visitor_page_record,
    visitor_session_start,
    visitor_token,
)
from storedesk.chat.views.api import VisitorRequest, visitor_api
from storedesk.conversations.access import access_attachment_for_customer
from storedesk.knowledge.deflection_enums import SuggestionSource
from storedesk.knowledge.services.deflection import deflection_request_sent


def _str(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name, "")
    return value if isinstance(value, str) else ""


def _int(payload: dict[str, Any], name: str) -> int:
    try:
        return max(int(payload.get(name, 0)), 0)
    except (TypeError, ValueError) as error:
        raise ChatError("invalid") from error


def _page(payload: dict[str, Any]) -> PageView | None:
    page = payload.get("page")
    if not isinstance(page, dict) or not isinstance(page.get("url"), str):
        return None
    return PageView(url=page["url"], title=str(page.get("title", "")))


def _identity(payload: dict[str, Any]) -> IdentityClaim | None:
    claim = payload.get("identity")
    if not isinstance(claim, dict):
        return None
    return IdentityClaim(
        customer_id=str(claim.get("customer_id", "")),
        email=str(claim.get("email", "")),
        hmac=str(claim.get("hmac", "")),
        name=str(claim.get("name", "")),
    )


def _open_chat(request: VisitorRequest) -> Chat:
    chat = chat_open_for_visitor(request.require_session())
    if chat is None:
        raise ChatError("no_chat")
    return chat


@visitor_api
def config(request: VisitorRequest) -> HttpResponse:
    widget = request.widget
    return JsonResponse(
        {
            "online": widget_is_online(widget),
            "brand": widget.inbox.brand.name,
            "prechat": {"enabled": widget.prechat_enabled, "fields": widget.prechat_fields},
            "allow_anonymous": widget.allow_anonymous,
            "offline_messages": widget.offline_inbox_id is not None,
            "max_message_chars": widget.max_message_chars,
            "max_file_bytes": widget.max_file_bytes,
        }
    )


@visitor_api
def session(request: VisitorRequest) -> HttpResponse:
    """Resume the session of a valid token, or start a new one (a forged token gets a new one)."""
    if request.session is None:
        request.rate_limit()
    session = visitor_session_start(
        widget=request.widget,
        session=request.session,
        identity=_identity(request.payload),
        page=_page(request.payload),
        language=_str(request.payload, "language"),
        ip=request.ip,
    )
    chat = chat_open_for_visitor(session)
    return JsonResponse(
        {"token": visitor_token(session), "chat": chat_state(chat=chat) if chat else None}
    )


@visitor_api
def start(request: VisitorRequest) -> HttpResponse:
    request.rate_limit()
    chat = chat_start(
        session=request.require_session(),
        text=_str(request.payload, "text"),
        client_id=_str(request.payload, "client_id"),
        name=_str(request.payload, "name"),
        email=_str(request.payload, "email"),
    )
    # The visit's deflection key, if the widget suggested articles: a chat started anyway.
    if kb_session := _str(request.payload, "kb_session"):
        deflection_request_sent(
            session_key=kb_session, conversation=chat.conversation, source=SuggestionSource.CHAT
        )
    return JsonResponse({"chat": chat_state(chat=chat)})


@visitor_api
def messages(request: VisitorRequest) -> HttpResponse:
    """GET: history after `after`. POST: send (JSON, or multipart with a `file`)."""
    if request.method == "POST":
        return _send(request)
    chat = _open_chat(request)
    return JsonResponse(
        {
            "entries": chat_entries_for_visitor(chat=chat, after=_int(request.payload, "after")),
            "chat": chat_state(chat=chat),
        }
    )


def _send(request: VisitorRequest) -> HttpResponse:
    request.rate_limit()
    result = chat_message_send_visitor(
        chat=_open_chat(request),
        text=_str(request.payload, "text"),
        client_id=_str(request.payload, "client_id"),
        files=request.files,
    )
    return JsonResponse({"sequence": result.message.sequence, "created": result.created})


@visitor_api
def read(request: VisitorRequest) -> HttpResponse:
    chat_read_mark(
        chat=_open_chat(request), reader="visitor", sequence=_int(request.payload, "sequence")
    )
    return JsonResponse({"ok": True})


@visitor_api
def page(request: VisitorRequest) -> HttpResponse:
    view = _page({"page": request.payload})
    if view is None:
        raise ChatError("invalid")
    visitor_page_record(session=request.require_session(), page=view)
    return JsonResponse({"ok": True})


@visitor_api
def end(request: VisitorRequest) -> HttpResponse:
    chat = chat_end(chat=_open_chat(request), actor=None)
    return JsonResponse({"chat": chat_state(chat=chat)})


@visitor_api
def transcript(request: VisitorRequest) -> HttpResponse:
    request.rate_limit()
    session = request.require_session()
    chat = (
        Chat.objects.filter(visitor=session)
        .select_related("conversation__inbox__brand", "visitor")
        .order_by("-queued_at")
        .first()
    )
    if chat is None:
        raise ChatError("no_chat")
    chat_transcript_request(chat=chat, email=_str(request.payload, "email"))
    return JsonResponse({"ok": True})


@visitor_api
def offline(request: VisitorRequest) -> HttpResponse:
    request.rate_limit()
    offline_message_leave(
        widget=request.widget,
        name=_str(request.payload, "name"),
        email=_str(request.payload, "email"),
        text=_str(request.payload, "text"),
        client_id=_str(request.payload, "client_id"),
        session=request.session,
    )
    return JsonResponse({"ok": True})


@visitor_api
def attachment(request: VisitorRequest, attachment_id: int) -> HttpResponseBase:
    session = request.require_session()
    if session.customer is None:
        raise Http404
    found = access_attachment_for_customer(customer=session.customer, attachment_id=attachment_id)
    access_chat_for_visitor(session=session, conversation_id=found.conversation_id)
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename)
    response["Content-Type"] = found.content_type
    return response


@visitor_api
def typing(request: VisitorRequest) -> HttpResponse:
    """Ephemeral (long-poll clients; the socket sends typing itself)."""
    chat = _open_chat(request)
    async_to_sync(typing_publish)(
        conversation_id=chat.pk,
        who="visitor",
        name=str(chat.conversation.customer),
        is_typing=request.payload.get("is_typing") is True,
    )
    return JsonResponse({"ok": True})
