"""The public page cache: whole responses of the public pages for anonymous visitors, dropped by the events that change them.

Every entry is keyed by a *generation* token held in the cache framework (Redis when ``REDIS_URL`` is set, a file
cache under ``var/`` otherwise, so the web process and the Celery worker see the same token). ``invalidate()``
replaces the token, which orphans every stored page at once; the orphans expire by themselves.

Never stale after a change commits: the domains' receivers (``cms/cache_receivers.py``) call
``invalidate_on_commit()``, which replaces the token when the change is made *and again* once it commits. A
request that read the old rows before the commit can only store its page under a token that the second
replacement retires, and every request that starts after the commit reads the committed rows.

Only safe responses are stored: GET/HEAD of a view named in ``settings.PAGE_CACHE_VIEWS`` (Wagtail pages only
when the page has no view restriction), for a visitor who is not signed in, has no pending messages and whose
session the view did not touch, answered 200 with no cookie but CSRF's. The form token in a stored page is
replaced by a placeholder, and each visitor gets their own token when the page is served.

Hits are cheap: ``EarlyPageCacheMiddleware`` answers a visitor who has no session cookie right after WhiteNoise,
before sessions, locale, authentication and URL resolution; each process keeps the pages it served lately in a
small local map under the same generation-bearing key, so a hit reads one small value (the generation) from the
shared cache. Visitors with a session (anonymous or not) still get stored pages, later in the stack.
"""
from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware, get_token

from marketplace.middleware import page_language

GENERATION_KEY = "pagecache:generation"
CSRF_PLACEHOLDER = b"__pagecache_csrf_token__"
_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")([^"]+)(")')
_KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary", "Allow", "X-Frame-Options", "Referrer-Policy")
REQUEST_FLAG = "page_cache_allowed"  # set on the request by a view that decides per object (Wagtail pages)


def _cache():
    return caches[getattr(settings, "PAGE_CACHE_ALIAS", "default")]


def enabled() -> bool:
    return bool(getattr(settings, "PAGE_CACHE_ENABLED", True))


def generation() -> str:
    token = _cache().get(GENERATION_KEY)
    if token is None:
        token = uuid.uuid4().hex
        if not _cache().add(GENERATION_KEY, token, None):
            token = _cache().get(GENERATION_KEY) or token
    return str(token)


def invalidate() -> None:
    """Retire every stored page now (a fresh token, never a counter, so concurrent writers cannot collide)."""
    _cache().set(GENERATION_KEY, uuid.uuid4().hex, None)


def invalidate_on_commit() -> None:
    """Retire stored pages now and again when the current transaction commits (see the module docstring)."""
    invalidate()
    transaction.on_commit(invalidate)


def page_key(request: HttpRequest) -> str:
    parts = [
        generation(),
        date.today().isoformat(),  # "in force" counts move with the date
        page_language(request),
        request.get_host(),
        request.get_full_path(),
        request.META.get("HTTP_ACCEPT", "") if request.path_info.startswith("/api/") else "",
    ]
    return "pagecache:page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


#: pages this process served lately, by key, with the moment each local copy lapses. The key holds the generation
#: read from the shared cache on every request, so a local copy can never outlive an invalidation; it only saves
#: reading the body again, and lapses after ``PAGE_CACHE_SECONDS`` like the shared entry.
_LOCAL_PAGES: OrderedDict[str, tuple[float, tuple[int, dict, bytes]]] = OrderedDict()
_LOCAL_LIMIT = 200
_local_lock = threading.Lock()


def _lookup(key: str) -> tuple[int, dict, bytes] | None:
    with _local_lock:
        local = _LOCAL_PAGES.get(key)
        if local is not None:
            if local[0] > time.monotonic():
                _LOCAL_PAGES.move_to_end(key)
                return local[1]
            del _LOCAL_PAGES[key]
    stored = _cache().get(key)
    if stored is not None:
        _remember(key, stored)
    return stored


def _remember(key: str, stored: tuple[int, dict, bytes]) -> None:
    lapses = time.monotonic() + getattr(settings, "PAGE_CACHE_SECONDS", 600)
    with _local_lock:
        _LOCAL_PAGES[key] = (lapses, stored)
        _LOCAL_PAGES.move_to_end(key)
        while len(_LOCAL_PAGES) > _LOCAL_LIMIT:
            _LOCAL_PAGES.popitem(last=False)


def _stored_response(request: HttpRequest, stored: tuple[int, dict, bytes]) -> HttpResponse:
    status, headers, body = stored
    if CSRF_PLACEHOLDER in body:
        body = body.replace(CSRF_PLACEHOLDER, get_token(request).encode())
    response = HttpResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    response["X-Page-Cache"] = "hit"
    return response


def _request_is_cacheable(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in request.META:
        return False  # an API client with a token may be someone: DRF only tells inside the view
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    if len(get_messages(request)):
        return False
    return True


def _response_is_cacheable(request: HttpRequest, response: HttpResponseBase) -> bool:
    if request.method != "GET" or response.status_code != 200 or response.streaming or not isinstance(response, HttpResponse):
        return False
    if any(name != settings.CSRF_COOKIE_NAME for name in response.cookies):
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    if response.has_header("Cache-Control") and "private" in response["Cache-Control"]:
        return False
    return True


class PublicPageCacheMiddleware:
    """Serve a stored page before the view runs; store the view's answer when it is safe to share."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response
        self.views = frozenset(getattr(settings, "PAGE_CACHE_VIEWS", ()))
        self.per_object_views = frozenset(getattr(settings, "PAGE_CACHE_PER_OBJECT_VIEWS", ()))

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        key = getattr(request, "_page_cache_key", None)
        if key is None or getattr(request, "_page_cache_hit", False):
            return response
        view_name = request.resolver_match.view_name if request.resolver_match else ""
        if view_name in self.per_object_views and not getattr(request, REQUEST_FLAG, False):
            return response
        if _response_is_cacheable(request, response):
            assert isinstance(response, HttpResponse)
            body = _CSRF_INPUT.sub(rb"\1" + CSRF_PLACEHOLDER + rb"\3", response.content)
            headers = {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)}
            stored = (response.status_code, headers, body)
            _cache().set(key, stored, getattr(settings, "PAGE_CACHE_SECONDS", 600))
            _remember(key, stored)
            response["X-Page-Cache"] = "miss"
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if not enabled() or request.resolver_match is None:
            return None
        view_name = request.resolver_match.view_name
        if view_name not in self.views and view_name not in self.per_object_views:
            return None
        if not _request_is_cacheable(request):
            return None
        key = page_key(request)
        request._page_cache_key = key  # type: ignore[attr-defined]
        stored = _lookup(key)
        if stored is None:
            return None
        request._page_cache_hit = True  # type: ignore[attr-defined]
        return _stored_response(request, stored)


class EarlyPageCacheMiddleware:
    """The fast path: a stored page for a visitor with no session, no messages and no credentials, before the stack.

    Placed right after WhiteNoise. A visitor without a session cookie cannot be signed in and has no pending
    messages, so a page stored for anonymous visitors is theirs; session, locale, authentication, messages,
    allauth, redirects and URL resolution are skipped on a hit. CSRF's own middleware still runs around the
    hit, so the visitor's form token and cookie are exactly what the view would have given. Everyone else, and
    every miss, goes down the stack (where ``PublicPageCacheMiddleware`` stores the answer).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if (
            request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "messages" not in request.COOKIES
            and "HTTP_AUTHORIZATION" not in request.META
            and enabled()
        ):
            stored = _lookup(page_key(request))
            if stored is not None:
                answer = CsrfViewMiddleware(lambda r: _stored_response(r, stored))(request)
                assert isinstance(answer, HttpResponseBase)  # a sync get_response gives a sync answer
                return answer
        return self.get_response(request)
