"""The listing, demand and review API (token or session auth).

Querysets only ever hold what the caller may see, so another organisation's private objects are a
404; actions the caller may not take on a visible object are a 403. Broken rules are a 400 naming
the field and rule; an action the state machine refuses is a 409.
"""
from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from listings.catalogue.models import Patent
from listings.trading import permissions as listing_permissions
from listings.trading import selectors
from listings.trading.models import AttachmentKind, ListingAttachment
from listings.trading.serializers import (
    AttachmentSerializer,
    CloseSerializer,
    ListingSerializer,
    ListingTransitionSerializer,
    ListingUpdateSerializer,
    ListingWriteSerializer,
    OpenLicenceTakeSerializer,
    UploadSerializer,
)
from listings.trading.services import attachments, editing, open_licence
from listings.trading.services import lifecycle as listing_services
from marketplace import permissions
from marketplace.kernel.api import CONFLICT, RULE_ERROR, ReasonSerializer, reason_from
from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.uploads import protected_download
from marketplace.permissions import IsOperator


class CanManageListing(drf_permissions.BasePermission):
    """Members of the owning organisation in the holder or broker role."""

    message = "您不代表该挂牌的机构 / you do not act for this listing's organisation"

    def has_object_permission(self, request, view, obj):
        return listing_permissions.can_manage_listing(request.user, obj)


class CanManageOrOperate(drf_permissions.BasePermission):
    message = "仅所属机构或运营人员可查看 / only the owner or operators"

    def has_object_permission(self, request, view, obj):
        return listing_permissions.can_manage_listing(request.user, obj) or permissions.is_operator(request.user)


LISTING_FILTERS = [
    OpenApiParameter("deal_type", str, enum=["assignment", "licence", "open_licence"]),
    OpenApiParameter("licence_kind", str, enum=["exclusive", "sole", "non_exclusive"]),
    OpenApiParameter("ipc", str, description="IPC at any level, e.g. H04B or H04B10/25"),
    OpenApiParameter("industry", str, description="industry code"),
    OpenApiParameter("zone", str, description="zone code or slug"),
    OpenApiParameter("price_min", str, description="yuan, e.g. 10000.00"),
    OpenApiParameter("price_max", str, description="yuan"),
    OpenApiParameter("negotiable", str, description="0 to leave out 面议 listings when a price range is given"),
    OpenApiParameter("status", str, description="only listings in this status (among those you may see)"),
    OpenApiParameter("mine", bool, description="only your organisations' listings"),
]

REASON_ACTION: dict[str, Any] = dict(request=ReasonSerializer, responses={200: ListingSerializer, 400: RULE_ERROR, 409: CONFLICT})


@extend_schema_view(
    list=extend_schema(summary="Listings you may see (the public board for visitors)", parameters=LISTING_FILTERS),
    retrieve=extend_schema(summary="One listing: patents, terms, holder's organisation"),
    create=extend_schema(summary="Create a draft listing", request=ListingWriteSerializer,
                         responses={201: ListingSerializer, 400: RULE_ERROR}),
    partial_update=extend_schema(summary="Edit a draft or a listing sent back", request=ListingUpdateSerializer,
                                 responses={200: ListingSerializer, 400: RULE_ERROR, 409: CONFLICT}),
)
class ListingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ListingSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        user = self.request.user
        params = self.request.query_params
        if params.get("mine") in ("1", "true"):
            qs = selectors.my_listings(user=user)
        else:
            qs = selectors.listings_visible_to(user)
        if self.action == "list":
            qs = selectors.listings_filter(qs, selectors.ListingFilters.from_query(params))
            if params.get("status"):
                qs = qs.filter(status=params["status"])
        return qs.prefetch_related("attachments")

    def get_permissions(self):
        if self.action in ("partial_update", "submit", "withdraw", "upload"):
            return [drf_permissions.IsAuthenticated(), CanManageListing()]
        if self.action in ("review_start", "approve", "reject", "suspend", "reinstate"):
            return [drf_permissions.IsAuthenticated(), IsOperator()]
        if self.action in ("transitions",):
            return [drf_permissions.IsAuthenticated(), CanManageOrOperate()]
        if self.action in ("create", "close", "open_licence_take"):
            return [drf_permissions.IsAuthenticated()]
        return [drf_permissions.AllowAny()]

    def _out(self, listing, code=status.HTTP_200_OK):
        return Response(ListingSerializer(listing, context=self.get_serializer_context()).data, status=code)

    def create(self, request):
        serializer = ListingWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        listing = editing.listing_create(organisation=data.pop("organisation"), by=request.user, **data)
        return self._out(listing, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        listing = self.get_object()
        serializer = ListingUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        editing.listing_update(listing=listing, by=request.user, **data)
        return self._out(listing)

    # Owner transitions ---------------------------------------------------------------------
    @extend_schema(summary="Submit for review", **REASON_ACTION)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._out(listing_services.listing_submit(listing=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Withdraw", **REASON_ACTION)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._out(listing_services.listing_withdraw(listing=self.get_object(), by=request.user, reason=reason_from(request)))

    # Operator transitions ------------------------------------------------------------------
    @extend_schema(summary="Operator: take a submitted listing into review", **REASON_ACTION)
    @action(detail=True, methods=["post"], url_path="review-start")
    def review_start(self, request, pk=None):
        return self._out(listing_services.listing_review_start(listing=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Operator: approve and publish", **REASON_ACTION)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._out(listing_services.listing_approve(listing=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Operator: send back with a reason", **REASON_ACTION)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._out(listing_services.listing_reject(listing=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Operator: suspend trading with a reason", **REASON_ACTION)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self._out(listing_services.listing_suspend(listing=self.get_object(), by=request.user, reason=reason_from(request)))

    @extend_schema(summary="Operator: reinstate a suspended listing", **REASON_ACTION)
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        return self._out(listing_services.listing_reinstate(listing=self.get_object(), by=request.user, reason=reason_from(request)))

    # Trading -------------------------------------------------------------------------------
    @extend_schema(summary="Close: assigned or licensed", request=CloseSerializer,
                   responses={200: ListingSerializer, 400: RULE_ERROR, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        listing = self.get_object()
        if not (listing_permissions.can_manage_listing(request.user, listing) or permissions.is_operator(request.user)):
            # who is asking before what is asked: an outsider learns nothing from the body's errors
            raise NotPermitted("只有挂牌机构或运营方可以成交关闭 / only the listing's organisation or an operator may close it")
        serializer = CloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        listing = listing_services.listing_close(
            listing=listing, by=request.user, outcome=data["outcome"], licensee=data.get("licensee"),
            reason=data["reason"],
        )
        return self._out(listing)

    @extend_schema(summary="Take an open licence on its published terms", request=OpenLicenceTakeSerializer,
                   responses={201: OpenApiTypes.OBJECT, 400: RULE_ERROR, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="open-licence-take")
    def open_licence_take(self, request, pk=None):
        serializer = OpenLicenceTakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grants = open_licence.open_licence_take(
            listing=self.get_object(), organisation=serializer.validated_data["organisation"], by=request.user
        )
        return Response({"grants": [g.pk for g in grants]}, status=status.HTTP_201_CREATED)

    # Audit trail and files -----------------------------------------------------------------
    @extend_schema(summary="Status history (who and why)", responses=ListingTransitionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def transitions(self, request, pk=None):
        listing = self.get_object()
        return Response(ListingTransitionSerializer(listing.transitions.select_related("by"), many=True).data)

    @extend_schema(summary="Upload an image, document or authorisation (multipart)", request=UploadSerializer,
                   responses={201: AttachmentSerializer, 400: RULE_ERROR, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="attachments", parser_classes=[MultiPartParser, FormParser])
    def upload(self, request, pk=None):
        listing = self.get_object()
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        patent = None
        if data.get("patent"):
            patent = Patent.objects.filter(publication_number=data["patent"].strip().upper()).first()
            if patent is None:
                return Response({"errors": {"patent": ["库中没有这件专利 / unknown patent"]}}, status=400)
        attachment = attachments.listing_attachment_add(
            listing=listing, by=request.user, upload=data["file"], kind=data["kind"], patent=patent
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Download a file (authorisations: owner and operators only)",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)/file")
    def download(self, request, pk=None, attachment_id=None):
        listing = self.get_object()
        attachment = ListingAttachment.objects.filter(pk=attachment_id, listing=listing).first()
        if attachment is None or not listing_permissions.can_view_attachment(request.user, attachment):
            raise Http404
        return protected_download(
            attachment.file, content_type=attachment.content_type, original_name=attachment.original_name,
            inline=attachment.is_image,
        )


@extend_schema_view(
    list=extend_schema(summary="Operator: authorisations waiting for verification"),
)
class AuthorisationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AttachmentSerializer
    permission_classes = [drf_permissions.IsAuthenticated, IsOperator]

    def get_queryset(self):
        qs = ListingAttachment.objects.filter(kind=AttachmentKind.AUTHORISATION).select_related("listing")
        if self.action == "list":
            qs = qs.filter(review_status="pending")
        return qs.order_by("uploaded_at", "pk")

    @extend_schema(summary="Operator: the authorisation is genuine", request=ReasonSerializer,
                   responses={200: AttachmentSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        attachment = attachments.authorisation_accept(attachment=self.get_object(), by=request.user, note=reason_from(request))
        return Response(AttachmentSerializer(attachment).data)

    @extend_schema(summary="Operator: refuse the authorisation with a reason", request=ReasonSerializer,
                   responses={200: AttachmentSerializer, 400: RULE_ERROR, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        attachment = attachments.authorisation_reject(attachment=self.get_object(), by=request.user, reason=reason_from(request))
        return Response(AttachmentSerializer(attachment).data)


