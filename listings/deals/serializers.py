"""The deal API's request and response shapes (DRF serializers and the schema's inline shapes)."""
from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from listings.deals import access
from listings.deals.models import (
    CommissionPayer,
    Deal,
    DealBroker,
    DealDocument,
    DealKind,
    DealMessage,
    FindingSeverity,
    Side,
)


class DealSerializer(serializers.ModelSerializer):
    seller: serializers.StringRelatedField = serializers.StringRelatedField()
    buyer: serializers.StringRelatedField = serializers.StringRelatedField()

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


class OpeningTermsSerializer(serializers.Serializer):
    """The terms a deal is opened with, from either side: what it has in mind and a message."""

    deal_type = serializers.ChoiceField(choices=DealKind.choices)
    licence_kind = serializers.CharField(required=False, allow_blank=True, default="")
    price_amount = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="fen (分)")
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class EnquirySerializer(OpeningTermsSerializer):
    """An enquiry (意向) on a published listing, sent for one of the caller's buyer organisations."""

    listing = serializers.IntegerField()
    organisation = serializers.IntegerField(help_text="the buyer organisation the caller acts for")


class MatchDealSerializer(OpeningTermsSerializer):
    """A holder recommends a matched patent to the demand's firm (推荐给需求方)."""

    match = serializers.IntegerField()
    organisation = serializers.IntegerField(help_text="the holder organisation the caller acts for")


class MilestoneSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=200)  # type: ignore[assignment]  # a field named like Field.label
    amount = serializers.IntegerField(help_text="fen (分)")
    due = serializers.CharField(required=False, allow_blank=True, default="", help_text="ISO date or blank")


class OfferTermsSerializer(serializers.Serializer):
    """Structured terms of a new offer; ``answers`` makes it a counter-offer (its diff is returned)."""

    deal_type = serializers.CharField()
    price_amount = serializers.IntegerField(help_text="fen (分)")
    currency = serializers.CharField(required=False, default="CNY")
    licence_kind = serializers.CharField(required=False, allow_blank=True, default="")
    territory = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    field_of_use = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    term_start = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)
    term_end = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)
    royalty_bps = serializers.IntegerField(required=False, allow_null=True, default=None)
    milestones = MilestoneSerializer(many=True, required=False, default=list)
    expires_at = serializers.DateTimeField()
    answers = serializers.IntegerField(required=False, allow_null=True, default=None)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


OFFER = inline_serializer("DealOffer", fields={
    "id": serializers.IntegerField(), "version": serializers.IntegerField(), "side": serializers.CharField(),
    "status": serializers.CharField(), "answers": serializers.IntegerField(allow_null=True),
    "terms": serializers.DictField(), "message": serializers.CharField(),
    "diff": serializers.ListField(child=serializers.DictField(), help_text="[{field, label, before, after}]"),
})


class BrokerSerializer(serializers.ModelSerializer):
    organisation_name = serializers.SerializerMethodField()

    class Meta:
        model = DealBroker
        fields = ["id", "deal", "side", "organisation", "organisation_name", "status", "note"]

    def get_organisation_name(self, row: DealBroker) -> str:
        return row.organisation.name if row.organisation is not None else ""


class BrokerAskSerializer(serializers.Serializer):
    """Invite a broker organisation for your side, or (without ``organisation``) ask the operators to assign one."""

    side = serializers.ChoiceField(choices=Side.choices)
    organisation = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class BrokerAssignSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()


class CommissionSerializer(serializers.Serializer):
    payer = serializers.ChoiceField(choices=CommissionPayer.choices)
    bps = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="basis points of the price")
    fixed_amount = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="fen (分)")


class NdaSerializer(serializers.Serializer):
    sha256 = serializers.CharField(max_length=64, help_text="the sha256 of the NDA text you were shown")


NDA = inline_serializer("DealNda", fields={
    "text": serializers.CharField(), "sha256": serializers.CharField(), "accepted": serializers.BooleanField(),
})


class DocumentSerializer(serializers.ModelSerializer):
    visible = serializers.SerializerMethodField(help_text="false until the buyer accepts the NDA (confidential files)")

    class Meta:
        model = DealDocument
        fields = ["id", "original_name", "content_type", "size", "sha256", "confidential", "side", "uploaded_at",
                  "visible"]

    def get_visible(self, document: DealDocument) -> bool:
        return access.can_see_document(self.context["request"].user, document)


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    confidential = serializers.BooleanField(required=False, default=False)


class FindingSerializer(serializers.Serializer):
    code: serializers.CharField = serializers.CharField(max_length=40, help_text="invalidation, litigation, ownership_dispute …")
    severity = serializers.ChoiceField(choices=FindingSeverity.choices)
    text = serializers.CharField(max_length=4000)
    patent = serializers.IntegerField(required=False, allow_null=True, default=None)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


REVIEW = inline_serializer("DealReview", fields={
    "id": serializers.IntegerField(), "risk_level": serializers.CharField(), "state": serializers.CharField(),
    "mitigation_note": serializers.CharField(), "decision_note": serializers.CharField(),
    "findings": serializers.ListField(child=serializers.DictField()),
})
CONTRACT = inline_serializer("DealContract", fields={
    "title": serializers.CharField(), "text": serializers.CharField(), "sha256": serializers.CharField(),
    "confirmations": serializers.ListField(child=serializers.DictField()),
})


class ContractConfirmSerializer(serializers.Serializer):
    sha256 = serializers.CharField(max_length=64, help_text="the sha256 of the contract text you were shown")
