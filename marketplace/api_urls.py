"""All API routes under /api/; each app contributes its own ``api_urls`` module."""
from django.urls import include, path

urlpatterns = [
    path("", include("listings.matching.api_urls")),
    path("", include("marketplace.notifications_api")),
    path("", include("listings.api_urls")),
    path("", include("listings.deals.api_urls")),
    path("search/", include("search.api_urls")),
]
