"""Deal API: your deals, one deal, its offers and room messages (resume with ``?last_seq=``), chat and lifecycle actions."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from listings.deals import access, selectors
from listings.deals.models import Deal, DealMessage
from listings.deals.services import lifecycle, parties
from listings.deals.services.room import message_payload


class DealSerializer(serializers.ModelSerializer):
    seller = serializers.StringRelatedField()
    buyer = serializers.StringRelatedField()

    class Meta:
        model = Deal
        fields = ["id", "listing", "seller", "buyer", "status", "deal_type", "licence_kind", "enquiry_price_amount",
                  "enquiry_message", "agreed_offer", "commission_bps", "commission_fixed_amount", "commission_payer",
                  "created_at", "updated_at"]


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = DealMessage
        fields = ["seq", "kind", "author", "body", "payload", "client_id", "created_at"]


class ChatSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=4000)
    client_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class DealReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


ACTIONS = {
    "accept": lambda d, u, r: lifecycle.deal_accept(deal=d, by=u, reason=r),
    "decline": lambda d, u, r: lifecycle.deal_decline(deal=d, by=u, reason=r),
    "cancel": lambda d, u, r: lifecycle.deal_cancel(deal=d, by=u, reason=r),
    "close": lambda d, u, r: lifecycle.deal_close(d, u, r),
}


class DealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Only deals you take part in (or all, for operators); any other is a 404."""

    serializer_class = DealSerializer
    permission_classes = [drf_permissions.IsAuthenticated]

    def get_queryset(self):
        return access.deals_visible_to(self.request.user).select_related("seller", "buyer").order_by("-updated_at")

    @extend_schema(summary="Room messages after last_seq, in order", parameters=[OpenApiParameter("last_seq", int)],
                   responses=MessageSerializer(many=True))
    @action(detail=True, methods=["get"])
    def messages(self, request, pk=None):
        deal = self.get_object()
        try:
            last_seq = max(0, int(request.query_params.get("last_seq", 0)))
        except ValueError:
            return Response({"errors": {"last_seq": ["须为整数 / an integer"]}}, status=status.HTTP_400_BAD_REQUEST)
        return Response([message_payload(m) for m in selectors.messages_since(deal, last_seq)])

    @extend_schema(summary="Post a chat message", request=ChatSerializer, responses={201: MessageSerializer})
    @action(detail=True, methods=["post"])
    def chat(self, request, pk=None):
        deal = self.get_object()
        data = ChatSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = parties.chat_post(deal=deal, by=request.user, **data.validated_data)
        return Response(message_payload(message), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Offers with their differences", responses={200: serializers.ListSerializer(child=serializers.DictField())})
    @action(detail=True, methods=["get"])
    def offers(self, request, pk=None):
        return Response([selectors.offer_payload(o) for o in selectors.deal_offers(self.get_object())])

    @extend_schema(summary="Lifecycle action: accept, decline, cancel or close", request=DealReasonSerializer,
                   responses={200: DealSerializer}, parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH,
                                                                                 enum=list(ACTIONS))])
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<name>[a-z_]+)")
    def transition(self, request, pk=None, name=None):
        if name not in ACTIONS:
            return Response({"detail": f"unknown action {name!r}"}, status=status.HTTP_404_NOT_FOUND)
        data = DealReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deal = ACTIONS[name](self.get_object(), request.user, data.validated_data["reason"])
        return Response(DealSerializer(deal).data)
