from django.urls import path

from storedesk.routing import views

app_name = "routing"

urlpatterns = [
    path("hours/", views.hours_list, name="hours_list"),
    path("brands/<int:brand_id>/time-zone/", views.time_zone_set, name="time_zone_set"),
    path("brands/<int:brand_id>/hours/new/", views.hours_new, name="hours_new"),
    path("hours/<int:schedule_id>/", views.hours_edit, name="hours_edit"),
    path("inboxes/<int:inbox_id>/target/", views.target_edit, name="target_edit"),
]
