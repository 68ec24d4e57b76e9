"""The matching API routes: a demand's matches and saved searches."""
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from listings.matching import api as matching_api

router = SimpleRouter()
router.register("saved-searches", matching_api.SavedSearchViewSet, basename="saved-search")

urlpatterns = [
    path("demands/<int:pk>/matches/", matching_api.DemandMatchesView.as_view(), name="demand-matches"),
    path("", include(router.urls)),
]
