"""Read-only API over the zone patent database."""
from rest_framework import viewsets

from listings.catalogue import selectors
from listings.catalogue.models import Industry, IpcEntry, Zone
from listings.catalogue.serializers import (
    IndustrySerializer,
    IpcEntrySerializer,
    PatentSerializer,
    ZoneSerializer,
)


class PatentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PatentSerializer
    lookup_field = "publication_number"

    def get_queryset(self):
        return selectors.patent_list(filters=selectors.PatentFilters.from_query(self.request.query_params))


class IpcEntryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = IpcEntry.objects.all()
    serializer_class = IpcEntrySerializer
    lookup_value_regex = "[^/]+(?:/[^/]+)?"


class ZoneViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Zone.objects.select_related("industry")
    serializer_class = ZoneSerializer
    lookup_field = "code"


class IndustryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Industry.objects.all()
    serializer_class = IndustrySerializer
    lookup_field = "code"
