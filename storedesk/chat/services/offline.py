"""Messages left through the widget while nobody can chat (ARCHITECTURE.md "Offline chat")."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from storedesk.chat.errors import ChatError
from storedesk.chat.models import ChatWidget, OfflineMessage, VisitorSession
from storedesk.chat.services.chats import client_id_clean, email_clean, text_clean
from storedesk.conversations.models import Conversation
from storedesk.conversations.services.messages import MessageContent, conversation_open
from storedesk.customers.services import customer_get_or_create_by_email


def offline_message_leave(
    *,
    widget: ChatWidget,
    name: str,
    email: str,
    text: str,
    client_id: str,
    session: VisitorSession | None = None,
) -> Conversation:
    """Open an email conversation in the widget's offline inbox, answered by email.

    The message is marked `source: chat_widget` in its channel metadata. A repeated client
    id returns the conversation opened the first time (unique per widget and client id).
    Side effects: conversation_open's (CREATED event, the message, live updates).
    """
    client_id = client_id_clean(client_id)
    existing = OfflineMessage.objects.filter(widget=widget, client_id=client_id).first()
    if existing is not None:
        return existing.conversation
    if widget.offline_inbox is None:
        raise ChatError("invalid", _("This chat does not take messages while offline."))
    email = email_clean(email)
    text = text_clean(text, widget=widget)
    try:
        with transaction.atomic():
            customer = customer_get_or_create_by_email(
                email=email, name=name.strip()[:200], language=session.language if session else ""
            )
            conversation = conversation_open(
                inbox=widget.offline_inbox,
                customer=customer,
                subject=_("Message from the chat on %(inbox)s") % {"inbox": widget.inbox.name},
                content=MessageContent(
                    text=text,
                    channel_metadata={
                        "source": "chat_widget",
                        "widget": widget.key,
                        "page": session.current_url if session else "",
                    },
                ),
            )
            OfflineMessage.objects.create(
                widget=widget, client_id=client_id, conversation=conversation
            )
    except IntegrityError:
        return OfflineMessage.objects.get(widget=widget, client_id=client_id).conversation
    return conversation
