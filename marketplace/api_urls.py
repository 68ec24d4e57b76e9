"""All API routes under /api/; each app contributes its own ``api_urls`` module, the parties theirs here."""
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from marketplace import api as marketplace_api

parties = SimpleRouter()
parties.register("organisations", marketplace_api.OrganisationViewSet, basename="organisation")
parties.register("review-queue", marketplace_api.ReviewQueueViewSet, basename="review-queue")

urlpatterns = [
    path("", include(parties.urls)),
    path("", include("listings.matching.api_urls")),
    path("", include("marketplace.notifications_api")),
    path("", include("listings.api_urls")),
    path("", include("listings.deals.api_urls")),
    path("", include("escrow.settlement.api_urls")),
    path("search/", include("search.api_urls")),
]
