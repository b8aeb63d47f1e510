from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "storedesk.conversations"
    label = "conversations"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from storedesk.conversations import signals  # noqa: F401  (connects the receivers)
        from storedesk.conversations.search import sqlite_fold_register

        connection_created.connect(sqlite_fold_register)
