from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "storedesk.demo"
    label = "demo"
