from django.apps import AppConfig


class BrandsConfig(AppConfig):
    name = "storedesk.brands"
    label = "brands"
