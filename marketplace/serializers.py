"""Organisations as the API shows them (public profile)."""
from rest_framework import serializers

from marketplace.models import Organisation


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "name_en", "kind", "uscc", "industry_field", "description", "services",
                  "pilot_programmes", "is_verified"]


class OrganisationBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "is_verified"]
