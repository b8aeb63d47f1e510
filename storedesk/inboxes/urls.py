from django.urls import path

from storedesk.inboxes import views

app_name = "inboxes"

urlpatterns = [
    path("", views.inbox_list, name="list"),
    path("new/", views.inbox_new, name="new"),
    path("<int:inbox_id>/", views.inbox_edit, name="edit"),
    path("<int:inbox_id>/addresses/", views.address_add, name="address_add"),
    path("addresses/<int:address_id>/primary/", views.address_primary, name="address_primary"),
    path("addresses/<int:address_id>/remove/", views.address_remove, name="address_remove"),
]
