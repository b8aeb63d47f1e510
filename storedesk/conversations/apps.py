from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "storedesk.conversations"
    label = "conversations"

    def ready(self) -> None:
        from storedesk.conversations import signals  # noqa: F401  (connects the receivers)
