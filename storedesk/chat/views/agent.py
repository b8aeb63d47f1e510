"""The console's HTTP fallback for agents: send and read a chat (session auth)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from storedesk.accounts.decorators import agent_required
from storedesk.accounts.models import User
from storedesk.chat.access import access_chat_for_agent
from storedesk.chat.errors import ChatError
from storedesk.chat.selectors import chat_entries_for_agent, chat_summary
from storedesk.chat.services import chat_message_send_agent
from storedesk.chat.views.api import error_response, payload_parse


@agent_required
@require_http_methods(["GET", "POST"])
def messages(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """GET: entries after `after` (notes and events included). POST: send, idempotent by
    client_id; `note` true adds an internal note."""
    assert isinstance(request.user, User)
    chat = access_chat_for_agent(agent=request.user, conversation_id=conversation_id)
    try:
        payload = payload_parse(request)
        if request.method == "GET":
            after = max(int(payload.get("after", 0)), 0)
            entries = chat_entries_for_agent(chat=chat, after=after)
            return JsonResponse({"entries": entries, "chat": chat_summary(chat)})
        result = chat_message_send_agent(
            chat=chat,
            agent=request.user,
            text=payload.get("text", ""),
            client_id=payload.get("client_id", ""),
            files=request.FILES.getlist("file"),
            is_note=payload.get("note") in (True, "true", "1"),
        )
    except ValueError:
        return JsonResponse({"error": "invalid"}, status=400)
    except ChatError as error:
        return error_response(error)
    return JsonResponse({"sequence": result.message.sequence, "created": result.created})
