from django.urls import path

from storedesk.mail import views, views_health

app_name = "mail"

urlpatterns = [
    path("inbound/<int:inbox_id>/", views.inbound_email, name="inbound"),
    path("health/", views_health.mailbox_health, name="health"),
]
