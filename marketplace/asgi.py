"""One ASGI application for HTTP and WebSocket (served by uvicorn), behind the guards of
``marketplace.asgi_guards``: the request-body cap and the full-origin check of every WebSocket (notifications
and the deal rooms alike)."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.local")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from marketplace.asgi_guards import RequestBodyLimit, WebSocketOriginValidator  # noqa: E402
from marketplace.metrics import CountWebSockets  # noqa: E402
from marketplace.routing import websocket_urlpatterns  # noqa: E402

application = RequestBodyLimit(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": CountWebSockets(WebSocketOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))),
        }
    )
)
