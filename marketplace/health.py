"""``/healthz``: what a zone operator's monitoring polls. Each dependency is probed and named."""
from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def _probe(fn) -> str:
    try:
        fn()
        return "ok"
    except Exception as exc:  # report, don't crash: this page exists to say what is down
        return f"error: {type(exc).__name__}: {exc}"[:300]


@never_cache
def healthz(request):
    def database():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    def channel_layer():
        layer = get_channel_layer()
        async_to_sync(layer.send)("healthz", {"type": "healthz"})

    def search():
        from search import get_search_backend

        get_search_backend().count()

    checks = {"database": _probe(database), "channel_layer": _probe(channel_layer), "search": _probe(search)}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks, "search_backend": settings.SEARCH_BACKEND},
        status=200 if healthy else 503,
    )
