"""Every write of live chat. Import from here; the modules are split by use case."""

from storedesk.chat.services.chats import (
    SendResult,
    chat_end,
    chat_message_send_agent,
    chat_message_send_visitor,
    chat_read_mark,
    chat_start,
    chat_transcript_request,
    chat_transfer,
)
from storedesk.chat.services.offline import offline_message_leave
from storedesk.chat.services.routing import (
    agent_availability_set,
    agent_capacity_set,
    chat_queue_dispatch,
    chat_reassign_unanswered,
)
from storedesk.chat.services.visitors import (
    IdentityClaim,
    PageView,
    visitor_page_record,
    visitor_rate_limit,
    visitor_session_start,
    visitor_token,
)
from storedesk.chat.services.widgets import chat_widget_ensure

__all__ = [
    "IdentityClaim",
    "PageView",
    "SendResult",
    "agent_availability_set",
    "agent_capacity_set",
    "chat_end",
    "chat_message_send_agent",
    "chat_message_send_visitor",
    "chat_queue_dispatch",
    "chat_read_mark",
    "chat_reassign_unanswered",
    "chat_start",
    "chat_transcript_request",
    "chat_transfer",
    "chat_widget_ensure",
    "offline_message_leave",
    "visitor_page_record",
    "visitor_rate_limit",
    "visitor_session_start",
    "visitor_token",
]
