from django.urls import include, path

from storedesk.knowledge.views import editor

app_name = "knowledge"
urlpatterns = [
    path("", editor.article_list, name="list"),
    path("new/", editor.article_new, name="new"),
    path("preview/", editor.preview, name="preview"),
    # Agent tools (KBGROW): gaps, quick panel, insert into a reply.
    path("", include("storedesk.knowledge.urls_agent_tools")),
    # Same name without a language: opens the article's first translation.
    path("<int:article_id>/", editor.article_open, name="edit"),
    path("<int:article_id>/settings/", editor.article_settings, name="settings"),
    path("<int:article_id>/files/", editor.attachment_upload, name="attachments"),
    path("<int:article_id>/<str:language>/", editor.article_edit, name="edit"),
    path("<int:article_id>/<str:language>/status/", editor.translation_status, name="status"),
]
