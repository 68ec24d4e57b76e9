"""The demand API: posting, editing and the declared lifecycle; querysets hold only what the caller may see."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from listings.demands import permissions as demand_permissions
from listings.demands import selectors
from listings.demands import services as demand_services
from listings.demands.serializers import (
    DemandSerializer,
    DemandTransitionSerializer,
    DemandUpdateSerializer,
    DemandWriteSerializer,
)
from marketplace import permissions
from marketplace.kernel.api import CONFLICT, RULE_ERROR, ReasonSerializer, reason_from
from marketplace.permissions import IsOperator


class CanManageOrOperate(drf_permissions.BasePermission):
    message = "仅所属机构或运营人员可查看 / only the owner or operators"

    def has_object_permission(self, request, view, obj):
        return demand_permissions.can_manage_demand(request.user, obj) or permissions.is_operator(request.user)


class CanManageDemand(drf_permissions.BasePermission):
    message = "您不代表该需求的机构 / you do not act for this demand's organisation"

    def has_object_permission(self, request, view, obj):
        return demand_permissions.can_manage_demand(request.user, obj)


DEMAND_FILTERS = [
    OpenApiParameter("deal_type", str, enum=["assignment", "licence", "open_licence"]),
    OpenApiParameter("ipc", str), OpenApiParameter("industry", str), OpenApiParameter("zone", str),
    OpenApiParameter("budget", str, description="yuan: demands whose budget range admits this amount"),
    OpenApiParameter("mine", bool, description="only your organisations' demands"),
]


DEMAND_REASON_ACTION: dict[str, Any] = dict(request=ReasonSerializer, responses={200: DemandSerializer, 400: RULE_ERROR, 409: CONFLICT})


@extend_schema_view(
    list=extend_schema(summary="Demands you may see (anonymous ones hide the organisation)", parameters=DEMAND_FILTERS),
    retrieve=extend_schema(summary="One demand"),
    create=extend_schema(summary="Create a draft demand", request=DemandWriteSerializer,
                         responses={201: DemandSerializer, 400: RULE_ERROR}),
    partial_update=extend_schema(summary="Edit a draft, sent-back or published demand", request=DemandUpdateSerializer,
                                 responses={200: DemandSerializer, 400: RULE_ERROR, 409: CONFLICT}),
)
class DemandViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DemandSerializer

    def get_queryset(self):
        user = self.request.user
        if self.request.query_params.get("mine") in ("1", "true"):
            return selectors.my_demands(user=user).prefetch_related("industries", "zones")
        return selectors.demands_visible_to(user)

    def list(self, request):
        demands = selectors.demands_filter(self.get_queryset(), selectors.DemandFilters.from_query(request.query_params))
        page = self.paginate_queryset(demands)
        return self.get_paginated_response(DemandSerializer(page, many=True, context=self.get_serializer_context()).data)

    def get_permissions(self):
        if self.action in ("partial_update", "submit", "withdraw", "close"):
            return [drf_permissions.IsAuthenticated(), CanManageDemand()]
        if self.action in ("review_start", "approve", "reject", "suspend", "reinstate"):
            return [drf_permissions.IsAuthenticated(), IsOperator()]
        if self.action == "transitions":
            return [drf_permissions.IsAuthenticated(), CanManageOrOperate()]
        if self.action == "create":
            return [drf_permissions.IsAuthenticated()]
        return [drf_permissions.AllowAny()]

    def _out(self, demand, code=status.HTTP_200_OK):
        return Response(DemandSerializer(demand, context=self.get_serializer_context()).data, status=code)

    def create(self, request):
        serializer = DemandWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        demand = demand_services.demand_create(organisation=data.pop("organisation"), by=request.user, **data)
        return self._out(demand, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        demand = self.get_object()
        serializer = DemandUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return self._out(demand_services.demand_update(demand=demand, by=request.user, **serializer.validated_data))

    @extend_schema(summary="Submit for review", **DEMAND_REASON_ACTION)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._out(demand_services.demand_submit(demand=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Withdraw", **DEMAND_REASON_ACTION)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._out(demand_services.demand_withdraw(demand=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Close: the need is met", **DEMAND_REASON_ACTION)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._out(demand_services.demand_close(demand=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Operator: take into review", **DEMAND_REASON_ACTION)
    @action(detail=True, methods=["post"], url_path="review-start")
    def review_start(self, request, pk=None):
        return self._out(demand_services.demand_review_start(demand=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Operator: approve and publish", **DEMAND_REASON_ACTION)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._out(demand_services.demand_approve(demand=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Operator: send back with a reason", **DEMAND_REASON_ACTION)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._out(demand_services.demand_reject(demand=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Operator: suspend with a reason", **DEMAND_REASON_ACTION)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self._out(demand_services.demand_suspend(demand=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Operator: reinstate", **DEMAND_REASON_ACTION)
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        return self._out(demand_services.demand_reinstate(demand=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Status history (who and why)", responses=DemandTransitionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def transitions(self, request, pk=None):
        demand = self.get_object()
        return Response(DemandTransitionSerializer(demand.transitions.select_related("by"), many=True).data)
