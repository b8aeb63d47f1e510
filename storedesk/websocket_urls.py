"""Websocket URLs."""

from django.urls import path

from storedesk.chat.consumers import ChatAgentConsumer, VisitorConsumer
from storedesk.chat.views.poll import PollConsumer
from storedesk.conversations.consumers import AgentConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentConsumer.as_asgi()),
    path("ws/chat/agent/", ChatAgentConsumer.as_asgi()),
]

# Sockets opened from other sites (the chat widget on a shop's pages): no session cookie
# and no allowed-hosts origin check; each consumer checks the Origin against its own list.
public_websocket_urlpatterns = [
    path("ws/chat/visitor/", VisitorConsumer.as_asgi()),
]

# HTTP served by Channels consumers ahead of Django: held requests (long-polling) that
# must not park a thread in Django's sync middleware while they wait.
http_consumer_urlpatterns = [
    path("chat/api/<str:key>/poll", PollConsumer.as_asgi()),
]
