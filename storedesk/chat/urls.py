from django.urls import path

from storedesk.chat.views import agent, pages, suggestions, visitor

app_name = "chat"
urlpatterns = [
    path("widget.js", pages.widget_script, name="widget"),
    path("api/<str:key>/config", visitor.config, name="config"),
    path("api/<str:key>/session", visitor.session, name="session"),
    path("api/<str:key>/chat", visitor.start, name="start"),
    path("api/<str:key>/messages", visitor.messages, name="messages"),
    path("api/<str:key>/typing", visitor.typing, name="typing"),
    path("api/<str:key>/read", visitor.read, name="read"),
    path("api/<str:key>/page", visitor.page, name="page"),
    path("api/<str:key>/end", visitor.end, name="end"),
    path("api/<str:key>/transcript", visitor.transcript, name="transcript"),
    path("api/<str:key>/offline", visitor.offline, name="offline"),
    path("api/<str:key>/files/<int:attachment_id>", visitor.attachment, name="attachment"),
    path("api/<str:key>/suggest", suggestions.suggest, name="suggest"),
    path("api/<str:key>/suggest/event", suggestions.suggest_event, name="suggest_event"),
    path("agent/<int:conversation_id>/messages", agent.messages, name="agent_messages"),
]
