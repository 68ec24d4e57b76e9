"""Error pages in the site's layout and the visitor's language: 403 (also a failed CSRF check), 404, 500.

403 and 404 are Django's own handlers with the site's templates (``cms/templates/403.html``, ``404.html``).
500 is rendered here without the request's context processors, which read the database: the database may be
what failed. If even the template fails, a fixed page says the same in both languages."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from marketplace.observability import request_id

FALLBACK_500 = (
    "<!DOCTYPE html><html lang=\"zh-hans\"><meta charset=\"utf-8\"><title>服务器出错 · Server error</title>"
    "<h1>服务器出错 · Server error</h1><p>请稍后再试。 Please try again later.</p><p><a href=\"/\">首页 · Home</a></p>"
)


def server_error(request: HttpRequest) -> HttpResponse:
    context = {"NAV_URLS": {"home": "/", "zones": "/zones/", "agencies": "/agencies/"}, "request_id": request_id.get()}
    try:
        body = loader.get_template("500.html").render(context)  # no request: no context processor, no query
    except Exception:  # the page about an error must not fail itself
        body = FALLBACK_500
    return HttpResponseServerError(body)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form that could not be verified (expired page, blocked cookie): the 403 page, saying what to do."""
    return render(request, "403.html", {"csrf_failure": True}, status=403)
