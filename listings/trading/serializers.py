"""Serializers of the listing, demand and review API. They parse and present; services decide."""
from __future__ import annotations

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from listings.catalogue.models import LicenceKind
from listings.trading import permissions as listing_permissions
from listings.trading.models import AttachmentKind, DealType, Listing, ListingAttachment, ListingTransition
from listings.trading.selectors import patents_resolve
from marketplace import permissions
from marketplace.kernel.api import ReasonSerializer
from marketplace.kernel.limits import TEXT_MAX
from marketplace.kernel.money import MAX_AMOUNT, AmountOutOfRange, Money
from marketplace.models import Organisation
from marketplace.serializers import OrganisationBriefSerializer


class ListingPatentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    publication_number = serializers.CharField()
    application_number = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    kind = serializers.CharField()
    legal_status = serializers.CharField()
    expiry_date = serializers.DateField(allow_null=True)
    main_ipc = serializers.CharField()


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ListingAttachment
        fields = [
            "id", "kind", "patent", "original_name", "content_type", "size", "uploaded_at", "review_status",
            "review_note", "download_url",
        ]

    def get_download_url(self, obj) -> str:
        return f"/api/listings/{obj.listing_id}/attachments/{obj.pk}/file/"


class ListingTransitionSerializer(serializers.ModelSerializer):
    by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ListingTransition
        fields = ["action", "from_status", "to_status", "by", "reason", "created_at"]


class ListingSerializer(serializers.ModelSerializer):
    organisation = OrganisationBriefSerializer(read_only=True)
    patents = serializers.SerializerMethodField()
    price_display = serializers.SerializerMethodField()
    is_portfolio = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Listing
        fields = [
            "id", "organisation", "title", "description", "deal_type", "licence_kind", "territory", "field_of_use",
            "term_start", "term_end", "sublicensing_allowed", "price_amount", "price_currency", "price_display",
            "royalty_rate_bps", "status", "close_outcome", "published_at", "expires_on", "is_portfolio", "patents",
            "attachments",
        ]

    @extend_schema_field(ListingPatentSerializer(many=True))
    def get_patents(self, obj):
        return ListingPatentSerializer(obj.patents.all(), many=True).data

    def get_price_display(self, obj) -> str:
        return "面议" if obj.price is None else str(obj.price)

    def get_is_portfolio(self, obj) -> bool:
        return len(obj.patents.all()) > 1

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, obj):
        user = self.context["request"].user
        visible = [a for a in obj.attachments.all() if listing_permissions.can_view_attachment(user, a)]
        return AttachmentSerializer(visible, many=True).data


class ListingWriteSerializer(serializers.Serializer):
    """Input of create/update. ``patents``: publication or application numbers; ``price_amount`` in fen,
    null for 面议 (negotiable)."""

    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=True)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)
    patents = serializers.ListField(child=serializers.CharField(max_length=30), allow_empty=True, max_length=100)
    deal_type = serializers.ChoiceField(choices=DealType.choices)
    licence_kind = serializers.ChoiceField(choices=LicenceKind.choices, required=False, allow_blank=True, default="")
    territory = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    field_of_use = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    term_start = serializers.DateField(required=False, allow_null=True, default=None)
    term_end = serializers.DateField(required=False, allow_null=True, default=None)
    sublicensing_allowed = serializers.BooleanField(required=False, default=False)
    price_amount = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT,
        help_text="分 (fen), below 2^53; null = 面议",
    )
    price_currency = serializers.CharField(required=False, default="CNY", max_length=3)
    royalty_rate_bps = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT
    )
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_organisation(self, organisation):
        user = self.context["request"].user
        if not permissions.has_role(user, organisation, listing_permissions.LISTING_ROLES):
            raise serializers.ValidationError("您不是该机构的权利人或经纪人 / you do not list for this organisation")
        return organisation

    def validate_patents(self, numbers):
        patents, missing = patents_resolve(numbers)
        if missing:
            raise serializers.ValidationError(f"库中没有这些专利 / unknown patents: {', '.join(missing)}")
        return patents

    def validate(self, attrs):
        given = "price_amount" in attrs
        amount, currency = attrs.pop("price_amount", None), attrs.pop("price_currency", "CNY")
        if not given:  # a partial update that leaves the price alone
            return attrs
        try:
            attrs["price"] = None if amount is None else Money(amount, currency)
        except AmountOutOfRange as exc:
            raise serializers.ValidationError({"price_amount": [str(exc)]}) from exc
        except ValueError as exc:
            raise serializers.ValidationError({"price_currency": [str(exc)]}) from exc
        return attrs


class ListingUpdateSerializer(ListingWriteSerializer):
    """Partial update of a draft: only the fields sent change (the organisation never does)."""

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)
        self.fields.pop("organisation", None)




class CloseSerializer(ReasonSerializer):
    outcome = serializers.ChoiceField(choices=["assigned", "licensed"])
    licensee = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False, allow_null=True)


class OpenLicenceTakeSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())


class UploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    file = serializers.FileField()
    patent = serializers.CharField(required=False, allow_blank=True, help_text="授权书涉及的专利（公开号）；留空为全部")


# --------------------------------------------------------------------------------------------
# Demands
# --------------------------------------------------------------------------------------------


