"""Escrow API routes: /api/escrows/{deal}/ (and its actions), /api/escrow-statements/{organisation}/,
/api/escrow-reconciliation/."""
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from escrow.settlement.api import EscrowReconciliationViewSet, EscrowStatementViewSet, EscrowViewSet

router = SimpleRouter()
router.register("escrows", EscrowViewSet, basename="escrow")
router.register("escrow-statements", EscrowStatementViewSet, basename="escrow-statement")
router.register("escrow-reconciliation", EscrowReconciliationViewSet, basename="escrow-reconciliation")
urlpatterns = [path("", include(router.urls))]
