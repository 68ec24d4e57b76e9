"""The URL map the page benchmark serves: the site's own, plus a bare Django view to measure the framework's ceiling."""
from django.http import HttpRequest, HttpResponse
from django.urls import path

from marketplace.urls import urlpatterns as site_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    """No query, no template: what the framework and the middleware cost on their own."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("_bench/bare", bare, name="bench-bare"), *site_urlpatterns]
