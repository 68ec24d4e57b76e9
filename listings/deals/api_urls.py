"""Deal API routes under /api/deals/ and /api/deal-brokers/ (invitations and assignment requests)."""
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from listings.deals.api import DealBrokerViewSet, DealViewSet

router = DefaultRouter()
router.register("deals", DealViewSet, basename="deal")
router.register("deal-brokers", DealBrokerViewSet, basename="deal-broker")
urlpatterns = [path("", include(router.urls))]
