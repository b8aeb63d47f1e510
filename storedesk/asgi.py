"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storedesk.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.urls import re_path  # noqa: E402

from storedesk.websocket_urls import (  # noqa: E402
    http_consumer_urlpatterns,
    public_websocket_urlpatterns,
    websocket_urlpatterns,
)

http_app = ASGIStaticFilesHandler(django_asgi_app) if settings.DEVELOPMENT else django_asgi_app

application = ProtocolTypeRouter(
    {
        # Django stubs type re_path for views, not for the ASGI application given here.
        "http": URLRouter([*http_consumer_urlpatterns, re_path(r"^", http_app)]),  # type: ignore[arg-type]
        "websocket": URLRouter(
            [
                *public_websocket_urlpatterns,
                re_path(
                    r"^",
                    AllowedHostsOriginValidator(
                        AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
                    ),
                ),
            ]
        ),
    }
)
