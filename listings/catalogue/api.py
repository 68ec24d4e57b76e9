"""Read-only API over the zone patent database, and the IPC lookup the pickers use."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from listings.catalogue import selectors
from listings.catalogue.models import Industry, IpcEntry, Zone
from listings.catalogue.serializers import (
    IndustrySerializer,
    IpcEntrySerializer,
    PatentSerializer,
    ZoneSerializer,
)
from marketplace.kernel.errors import FilterError


class PatentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PatentSerializer
    lookup_field = "publication_number"

    def get_queryset(self):
        return selectors.patent_list(filters=selectors.PatentFilters.from_query(self.request.query_params))


class IpcEntryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = IpcEntry.objects.all()
    serializer_class = IpcEntrySerializer
    lookup_value_regex = "[^/]+(?:/[^/]+)?"

    @extend_schema(
        operation_id="ipc_lookup",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True, description=(
                f"a code prefix (H04W, H04W 4/0) or words of the Chinese or English title; at most "
                f"{selectors.IPC_LOOKUP_MAX_CHARS} characters and {selectors.IPC_LOOKUP_MAX_WORDS} words")),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1–{selectors.IPC_LOOKUP_MAX_RESULTS}, default 20"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"], url_path="lookup", permission_classes=[AllowAny], pagination_class=None)
    def lookup(self, request: Request) -> Response:
        """The IPC scheme is public (as is this whole read-only catalogue API); the input is bounded instead."""
        raw_limit = (request.query_params.get("limit") or "20").strip()
        if not (raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 3):
            raise FilterError("limit", "应为整数 / must be an integer")
        entries = selectors.ipc_lookup(text=request.query_params.get("q", ""), limit=int(raw_limit))
        return Response({"results": [
            {"code": e.code, "display_code": e.display_code, "level": e.level, "title": e.title,
             "title_zh": e.title_zh, "title_en": e.title_en}
            for e in entries
        ]})


class ZoneViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Zone.objects.select_related("industry")
    serializer_class = ZoneSerializer
    lookup_field = "code"


class IndustryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Industry.objects.all()
    serializer_class = IndustrySerializer
    lookup_field = "code"
