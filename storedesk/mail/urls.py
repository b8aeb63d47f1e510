from django.urls import path

from storedesk.mail import views, views_admin, views_bounce, views_health, views_quarantine

app_name = "mail"

urlpatterns = [
    path("inbound/<int:inbox_id>/", views.inbound_email, name="inbound"),
    path("health/", views_health.mailbox_health, name="health"),
    path("admin/imap/", views_admin.imap_list, name="admin_imap_list"),
    path("admin/imap/new/", views_admin.imap_new, name="admin_imap_new"),
    path("admin/imap/<int:account_id>/", views_admin.imap_edit, name="admin_imap_edit"),
    path("admin/imap/<int:account_id>/test/", views_admin.imap_test, name="admin_imap_test"),
    path("admin/templates/", views_admin.template_list, name="admin_templates"),
    path(
        "admin/templates/<int:inbox_id>/<str:language>/",
        views_admin.template_edit,
        name="admin_template_edit",
    ),
    path("admin/quarantine/", views_quarantine.quarantine, name="admin_quarantine"),
    path(
        "admin/quarantine/<int:raw_email_id>/",
        views_quarantine.quarantine_detail,
        name="admin_quarantine_detail",
    ),
    path(
        "admin/quarantine/<int:raw_email_id>/reprocess/",
        views_quarantine.quarantine_reprocess,
        name="admin_quarantine_reprocess",
    ),
    path(
        "admin/quarantine/<int:raw_email_id>/discard/",
        views_quarantine.quarantine_discard,
        name="admin_quarantine_discard",
    ),
    path(
        "conversations/<int:number>/identities/<int:identity_id>/clear-bounce/",
        views_bounce.bounce_clear,
        name="bounce_clear",
    ),
]
