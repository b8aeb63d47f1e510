from __future__ import annotations

from storedesk.conversations.models import Conversation
from storedesk.conversations.services.messages import MessageContent, conversation_open
from storedesk.customers.models import Customer
from storedesk.customers.tests.factories import create_customer
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox


def create_conversation(
    *,
    inbox: Inbox | None = None,
    customer: Customer | None = None,
    subject: str = "Where is my order?",
    text: str = "I ordered a lamp last week and it has not arrived.",
) -> Conversation:
    return conversation_open(
        inbox=inbox or create_inbox(),
        customer=customer or create_customer(),
        subject=subject,
        content=MessageContent(text=text),
    )
