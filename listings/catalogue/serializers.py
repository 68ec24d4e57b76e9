"""The catalogue as the API shows it: patents, publications, IPC entries, zones and industries."""
from __future__ import annotations

from rest_framework import serializers

from listings.catalogue.models import Industry, IpcEntry, Patent, PatentPublication, Zone


class IpcEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = IpcEntry
        fields = ["code", "level", "parent", "title_zh", "title_en"]


class PublicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = PatentPublication
        fields = ["number", "kind_code", "date"]


class PatentSerializer(serializers.ModelSerializer):
    ipc_codes = serializers.SerializerMethodField()
    publications = PublicationSerializer(many=True, read_only=True)
    zones: serializers.SlugRelatedField[Zone] = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    industries: serializers.SlugRelatedField[Industry] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code"
    )

    class Meta:
        model = Patent
        fields = [
            "id", "kind", "application_number", "patent_number", "publication_number", "publications", "title",
            "abstract", "claims", "applicants", "inventors", "main_ipc", "ipc_codes", "application_date",
            "publication_date", "grant_date", "legal_status", "expiry_date", "zones", "industries", "source",
            "is_demo",
        ]

    def get_ipc_codes(self, obj) -> list[str]:
        return [row.code for row in obj.ipc_codes.all()]


class ZoneSerializer(serializers.ModelSerializer):
    industry: serializers.SlugRelatedField[Industry] = serializers.SlugRelatedField(read_only=True, slug_field="code")

    class Meta:
        model = Zone
        fields = ["code", "slug", "name_zh", "name_en", "short_name_zh", "industry"]


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["code", "scheme", "name_zh", "name_en", "category"]
