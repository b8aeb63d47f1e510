from django.urls import include, path

from storedesk.knowledge.views import helpcentre

app_name = "knowledge_help"
urlpatterns = [
    # Before the brand routes, so a brand called "files" cannot shadow them.
    path(
        "files/<int:attachment_id>/<str:name>",
        helpcentre.attachment_file,
        name="file",
    ),
    path("<slug:brand_slug>/", helpcentre.root, name="root"),
    # Deflection (KBGROW): before the language routes, which would take "suggest" for one.
    path("<slug:brand_slug>/", include("storedesk.knowledge.urls_deflection")),
    path("<slug:brand_slug>/sitemap.xml", helpcentre.sitemap, name="sitemap"),
    path("<slug:brand_slug>/<str:language>/", helpcentre.home, name="home"),
    path("<slug:brand_slug>/<str:language>/search/", helpcentre.search, name="search"),
    path(
        "<slug:brand_slug>/<str:language>/c/<slug:category_slug>/",
        helpcentre.category,
        name="category",
    ),
    path(
        "<slug:brand_slug>/<str:language>/articles/<int:article_id>-<str:slug>/",
        helpcentre.article,
        name="article",
    ),
    path(
        "<slug:brand_slug>/<str:language>/articles/<int:article_id>/vote/",
        helpcentre.vote,
        name="vote",
    ),
]
