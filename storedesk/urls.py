from django.conf import settings
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve

from storedesk.chat.views.pages import demo_shop
from storedesk.core.views import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="conversations:inbox", permanent=False)),
    path("accounts/", include("storedesk.accounts.urls")),
    path("conversations/", include("storedesk.conversations.urls")),
    path("mail/", include("storedesk.mail.urls")),
    path("inboxes/", include("storedesk.inboxes.urls")),
    path("routing/", include("storedesk.routing.urls")),
    path("portal/", include("storedesk.portal.urls")),
    path("chat/", include("storedesk.chat.urls")),
    path("help/", include("storedesk.knowledge.help_urls")),
    path("knowledge/", include("storedesk.knowledge.urls")),
    path("chat/console/", include("storedesk.chat.urls_console")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
]

if settings.DEVELOPMENT:
    urlpatterns += [
        path("dev/", include("storedesk.core.urls")),
        path("demo-shop/", demo_shop, name="demo_shop"),
        # Only public media (avatars, brand logos). Attachments are served solely through
        # views that check access; in production the web server serves these two folders.
        re_path(
            r"^media/(?P<path>(?:avatars|brands)/[^/]+)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        ),
    ]
