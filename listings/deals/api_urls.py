"""Deal API routes under /api/deals/."""
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from listings.deals.api import DealViewSet

router = DefaultRouter()
router.register("deals", DealViewSet, basename="deal")
urlpatterns = [path("", include(router.urls))]
