from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "storedesk.conversations"
    label = "conversations"
