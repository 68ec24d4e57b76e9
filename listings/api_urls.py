"""The listings app's API routes: the catalogue, trading and demands (the API root lists them)."""
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from listings.catalogue import api
from listings.demands import api as demand_api
from listings.trading import api as trading_api

router = DefaultRouter()
router.register("patents", api.PatentViewSet, basename="patent")
router.register("ipc", api.IpcEntryViewSet, basename="ipc")
router.register("zones", api.ZoneViewSet, basename="zone")
router.register("industries", api.IndustryViewSet, basename="industry")
router.register("listings", trading_api.ListingViewSet, basename="listing")
router.register("demands", demand_api.DemandViewSet, basename="demand")
router.register("authorisations", trading_api.AuthorisationViewSet, basename="authorisation")

urlpatterns = [path("", include(router.urls))]
