from storedesk.conversations.models.conversation import (
    Conversation,
    ConversationCounter,
    Participant,
    SavedView,
    Tag,
)
from storedesk.conversations.models.message import Attachment, ConversationEvent, Message

__all__ = [
    "Attachment",
    "Conversation",
    "ConversationCounter",
    "ConversationEvent",
    "Message",
    "Participant",
    "SavedView",
    "Tag",
]
