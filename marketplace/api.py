"""Organisations over the API: public profiles, registration by a user, and verification by operators."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from marketplace import console
from marketplace import services as org_services
from marketplace.kernel.api import CONFLICT, RULE_ERROR, ReasonSerializer, reason_from
from marketplace.models import Organisation
from marketplace.permissions import IsOperator
from marketplace.serializers import OrganisationSerializer


class OrganisationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    uscc = serializers.CharField(max_length=40, help_text="统一社会信用代码 (GB 32100-2015); spaces and hyphens are removed")
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices, default=Organisation.Kind.ENTERPRISE)
    role = serializers.ChoiceField(choices=[r.value for r in org_services.SELF_SERVICE_ROLES] + ["operator"])
    contact = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")


class MembershipSerializer(serializers.Serializer):
    organisation = OrganisationSerializer()
    role = serializers.CharField()


@extend_schema_view(
    list=extend_schema(summary="Organisations (public profiles)"),
    retrieve=extend_schema(summary="One organisation"),
    create=extend_schema(summary="Register the organisation you act for (waits for verification)",
                         request=OrganisationCreateSerializer, responses={201: OrganisationSerializer, 400: RULE_ERROR}),
)
class OrganisationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer

    def get_permissions(self):
        if self.action in ("verify", "reject", "revoke"):
            return [drf_permissions.IsAuthenticated(), IsOperator()]
        if self.action in ("create", "mine"):
            return [drf_permissions.IsAuthenticated()]
        return [drf_permissions.AllowAny()]

    def create(self, request):
        serializer = OrganisationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = org_services.organisation_create(by=request.user, **serializer.validated_data)
        return Response(OrganisationSerializer(organisation).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="The organisations you act for, with your roles", responses=MembershipSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)  # a plain list, as documented
    def mine(self, request):
        memberships = request.user.memberships.select_related("organisation")
        return Response(MembershipSerializer(memberships, many=True).data)

    @extend_schema(summary="Operator: verify (the USCC must be valid)", request=ReasonSerializer,
                   responses={200: OrganisationSerializer, 400: RULE_ERROR, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        reason = reason_from(request)
        organisation = org_services.organisation_verify(organisation=self.get_object(), by=request.user, reason=reason)
        return Response(OrganisationSerializer(organisation).data)

    @extend_schema(summary="Operator: refuse verification with a reason", request=ReasonSerializer,
                   responses={200: OrganisationSerializer, 400: RULE_ERROR, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        organisation = org_services.organisation_verification_reject(
            organisation=self.get_object(), by=request.user, reason=reason_from(request)
        )
        return Response(OrganisationSerializer(organisation).data)

    @extend_schema(summary="Operator: revoke verification with a reason", request=ReasonSerializer,
                   responses={200: OrganisationSerializer, 400: RULE_ERROR, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        organisation = org_services.organisation_verification_revoke(
            organisation=self.get_object(), by=request.user, reason=reason_from(request)
        )
        return Response(OrganisationSerializer(organisation).data)


class ReviewQueueViewSet(viewsets.ViewSet):
    """Operator: everything waiting for a decision, oldest first."""

    permission_classes = [drf_permissions.IsAuthenticated, IsOperator]

    @extend_schema(
        summary="Operator review queue",
        responses=inline_serializer("ReviewQueue", fields={
            "listings": serializers.ListField(child=serializers.DictField()),
            "demands": serializers.ListField(child=serializers.DictField()),
            "authorisations": serializers.ListField(child=serializers.DictField()),
            "organisations": serializers.ListField(child=serializers.DictField()),
            "suspended": serializers.ListField(child=serializers.DictField()),
            # sections other domains register (escrow: receipts, evidence, disputes, payouts)
            "escrow_receipts": serializers.ListField(child=serializers.DictField(), required=False),
            "escrow_evidence": serializers.ListField(child=serializers.DictField(), required=False),
            "escrow_disputes": serializers.ListField(child=serializers.DictField(), required=False),
            "escrow_payouts": serializers.ListField(child=serializers.DictField(), required=False),
        }),
    )
    def list(self, request):
        return Response(console.review_queue_data(console.review_queue(), request))
