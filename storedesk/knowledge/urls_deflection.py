"""Public suggestion routes under /help/<brand_slug>/ (namespace knowledge_help)."""

from django.urls import path

from storedesk.knowledge.views import deflection

urlpatterns = [
    path("suggest/", deflection.suggest, name="suggest"),
    path("suggest/event/", deflection.suggest_event, name="suggest_event"),
]
