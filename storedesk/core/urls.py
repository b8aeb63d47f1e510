from django.urls import path

from storedesk.core import views

app_name = "core"
urlpatterns = [
    path("mail/", views.devmail, name="devmail"),
    path("mail/<str:name>/", views.devmail, name="devmail_detail"),
]
