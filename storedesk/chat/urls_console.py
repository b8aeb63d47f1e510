"""The agent chat console, mounted at /chat/console/."""

from django.urls import path

from storedesk.chat import views_console as views

app_name = "chat_console"

urlpatterns = [
    path("", views.console, name="console"),
    path("side/", views.side, name="side"),
    path("status/", views.status, name="status"),
    path("capacity/", views.capacity, name="capacity"),
    path("canned/", views.canned_create, name="canned_create"),
    path("<int:conversation_id>/", views.pane, name="pane"),
    path("<int:conversation_id>/context/", views.context, name="context"),
    path("<int:conversation_id>/transfer/", views.transfer, name="transfer"),
    path("<int:conversation_id>/end/", views.end, name="end"),
    path("<int:conversation_id>/transcript/", views.transcript, name="transcript"),
]
