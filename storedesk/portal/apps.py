from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "storedesk.portal"
    label = "portal"
