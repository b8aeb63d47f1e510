from django.apps import AppConfig


class InboxesConfig(AppConfig):
    name = "storedesk.inboxes"
    label = "inboxes"
