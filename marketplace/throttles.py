"""API rate limits (DRF throttling): writes per signed-in user, or per client address for the anonymous, so no one
client can create, upload or trigger work without bound. Reads stay unthrottled here (the page cache and the
search limits carry them). The client address is the one the trusted proxies saw (``NUM_PROXIES``)."""
from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class WriteRateThrottle(SimpleRateThrottle):
    """``DEFAULT_THROTTLE_RATES["writes"]`` for POST, PUT, PATCH and DELETE."""

    scope = "writes"

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        user = request.user
        ident = f"user-{user.pk}" if user is not None and user.is_authenticated else f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
