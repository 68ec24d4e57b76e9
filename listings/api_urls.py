from django.urls import include, path
from rest_framework.routers import DefaultRouter

from listings import api

router = DefaultRouter()
router.register("patents", api.PatentViewSet, basename="patent")
router.register("ipc", api.IpcEntryViewSet, basename="ipc")
router.register("zones", api.ZoneViewSet, basename="zone")
router.register("industries", api.IndustryViewSet, basename="industry")
router.register("organisations", api.OrganisationViewSet, basename="organisation")

urlpatterns = [path("", include(router.urls))]
