"""Demands as the API shows and takes them."""
from __future__ import annotations

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from listings.catalogue.models import Industry, Zone
from listings.demands import permissions as demand_permissions
from listings.demands.models import Demand, DemandTransition, Visibility
from marketplace import permissions
from marketplace.kernel.limits import IPC_CODES_MAX, TEXT_MAX
from marketplace.kernel.money import MAX_AMOUNT, AmountOutOfRange, Money
from marketplace.models import Organisation
from marketplace.serializers import OrganisationBriefSerializer


class DemandSerializer(serializers.ModelSerializer):
    organisation = serializers.SerializerMethodField()
    industries: serializers.SlugRelatedField[Industry] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    zones: serializers.SlugRelatedField[Zone] = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Demand
        fields = [
            "id", "organisation", "title", "problem", "ipc_codes", "industries", "zones", "budget_min", "budget_max",
            "currency", "deal_types", "deadline", "visibility", "status", "published_at",
        ]

    @extend_schema_field(OrganisationBriefSerializer(allow_null=True))
    def get_organisation(self, obj):
        """Anonymous demands hide their organisation from everyone but its members and operators."""
        if not demand_permissions.can_see_demand_organisation(self.context["request"].user, obj):
            return None
        return OrganisationBriefSerializer(obj.organisation).data


class DemandWriteSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    title = serializers.CharField(max_length=200)
    problem = serializers.CharField(max_length=TEXT_MAX)
    ipc_codes = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, default=list, max_length=IPC_CODES_MAX
    )
    industries = serializers.SlugRelatedField(
        slug_field="code", queryset=Industry.objects.all(), many=True, required=False,
        default=list,  # type: ignore[arg-type]  # many=True: the default is a list; stubs expect one Industry
    )
    zones = serializers.SlugRelatedField(
        slug_field="code", queryset=Zone.objects.all(), many=True, required=False,
        default=list,  # type: ignore[arg-type]  # many=True: the default is a list; stubs expect one Zone
    )
    budget_min = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT,
        help_text="分 (fen), below 2^53",
    )
    budget_max = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT,
        help_text="分 (fen), below 2^53",
    )
    currency = serializers.CharField(required=False, default="CNY", max_length=3)
    deal_types = serializers.ListField(child=serializers.CharField(max_length=20), allow_empty=True)
    deadline = serializers.DateField()
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False, default=Visibility.PUBLIC)

    def validate_organisation(self, organisation):
        user = self.context["request"].user
        if not permissions.has_role(user, organisation, demand_permissions.DEMAND_ROLES):
            raise serializers.ValidationError("您不是该机构的需求方或经纪人 / you do not post demands for this organisation")
        return organisation

    def validate(self, attrs):
        currency = attrs.pop("currency", "CNY")
        for name in ("budget_min", "budget_max"):
            if name in attrs:
                amount = attrs[name]
                try:
                    attrs[name] = None if amount is None else Money(amount, currency)
                except AmountOutOfRange as exc:
                    raise serializers.ValidationError({name: [str(exc)]}) from exc
                except ValueError as exc:
                    raise serializers.ValidationError({"currency": [str(exc)]}) from exc
        return attrs


class DemandUpdateSerializer(DemandWriteSerializer):
    """Partial update: only the fields sent change (the organisation never does)."""

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)
        self.fields.pop("organisation", None)


class DemandTransitionSerializer(serializers.ModelSerializer):
    by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DemandTransition
        fields = ["action", "from_status", "to_status", "by", "reason", "created_at"]
