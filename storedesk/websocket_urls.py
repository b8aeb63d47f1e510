"""Websocket URLs."""

from django.urls import path

from storedesk.conversations.consumers import AgentConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentConsumer.as_asgi()),
]
