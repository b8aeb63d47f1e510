"""The chat ChannelAdapter: a reply is on the visitor's screen once it is on the timeline."""

from __future__ import annotations

from storedesk.chat.models import Chat
from storedesk.chat.services.chats import chat_answered_mark
from storedesk.conversations.enums import DeliveryStatus
from storedesk.conversations.models import Message
from storedesk.inboxes.enums import Channel


class ChatChannelAdapter:
    channel: str = Channel.CHAT

    def deliver(self, message: Message) -> DeliveryStatus | None:
        """Sent: the widget fetched or was pushed the entry when it committed. A reply written
        in the workspace (not the console) also counts as the chat's agent answering."""
        chat = Chat.objects.filter(pk=message.conversation_id).first()
        if chat is not None and message.author_user is not None:
            chat_answered_mark(chat=chat, agent=message.author_user)
        return None
