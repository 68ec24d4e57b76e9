"""GET /api/search/patents (field search with facets) and GET /api/search/autocomplete."""
from __future__ import annotations

from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from search import get_search_backend
from search.facets import VALUE_FACETS
from search.interface import FACETS, MAX_PAGE_SIZE, MAX_QUERY_LENGTH, SORTS
from search.params import MAX_PAGE, MAX_YEAR, MIN_YEAR, SearchParamError, parse_search_params
from search.presentation import facet_labels, patent_url
from search.selectors import MAX_FIELD_TEXT, field_suggestions, hit_cards, search_patents


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    count = serializers.IntegerField(help_text="hits when filtering by this value (与按此值筛选的结果数相同)")
    label = serializers.CharField(  # type: ignore[assignment]  # a field named "label"; stubs see Field.label
        help_text="IPC title (Chinese, or English when the language is English), zone or industry name, status or kind label"
    )


class HitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    publication_number = serializers.CharField()
    title = serializers.CharField()
    score = serializers.FloatField()
    highlights = serializers.DictField(
        child=serializers.CharField(), help_text="field → HTML-escaped snippet with <mark>…</mark> around matches"
    )
    matched_terms = serializers.ListField(child=serializers.CharField())
    url = serializers.CharField(allow_null=True)
    legal_status = serializers.CharField(help_text="legal status code (pending, in_force, …)")
    legal_status_label = serializers.CharField(help_text="legal status in the request's language")
    listed = serializers.BooleanField(help_text="has a published listing on the exchange")
    price = serializers.DictField(allow_null=True, help_text='lowest asking price {"amount": fen, "currency"}; null when unlisted or 面议')
    negotiable = serializers.BooleanField(help_text="listed with no asking price (面议)")


class SuggestionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["drop_word", "widen", "ipc"])
    label = serializers.CharField(help_text="in the active language (Chinese first)")  # type: ignore[assignment]  # a field named "label"; stubs see Field.label
    params = serializers.DictField(child=serializers.CharField(allow_blank=True),
                                   help_text="query parameters to change; an empty value removes the parameter")
    total = serializers.IntegerField(allow_null=True, help_text="results it would give, when known")


class FieldSuggestionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="IPC subclass")
    title = serializers.CharField(help_text="its Chinese title")
    score = serializers.FloatField()


class SearchResponseSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    partial = serializers.BooleanField(  # type: ignore[assignment]  # a field named "partial"; stubs see BaseSerializer.partial
        help_text="some hits hold only part of the words (部分匹配 / showing partial matches)"
    )
    words = serializers.ListField(child=serializers.CharField(), help_text="the informative words searched")
    dropped_words = serializers.ListField(child=serializers.CharField(), help_text="stop-words left out")
    ipc_from_query = serializers.CharField(allow_blank=True, help_text="an IPC code typed in q, applied as the IPC filter")
    numbers_found = serializers.ListField(child=serializers.IntegerField(), help_text="patents found by number")
    suggestions = SuggestionSerializer(many=True)
    suggested_fields = FieldSuggestionSerializer(many=True, help_text="predicted IPC subclasses for a sentence query")
    hits = HitSerializer(many=True)
    facets = serializers.DictField(
        child=FacetValueSerializer(many=True), help_text="every facet: " + ", ".join(FACETS)
    )


class ErrorSerializer(serializers.Serializer):
    param = serializers.CharField(help_text="the parameter at fault")
    detail = serializers.CharField()


class AutocompleteSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=["title", "applicant"])
    suggestions = serializers.ListField(child=serializers.CharField())


def _bad(error: SearchParamError) -> Response:
    return Response({"param": error.param, "detail": error.message}, status=400)


SEARCH_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description=f"full text (Chinese or English), at most {MAX_QUERY_LENGTH} characters; a publication or application number in any common form finds that patent first; an IPC code (H01M, H01M 10/0525) becomes the IPC filter"),
    OpenApiParameter("ipc", OpenApiTypes.STR, description="IPC code at any level: H, H04, H04B, H04B 10/00, H04B 10/25"),
    *[
        OpenApiParameter(
            facet.param,
            OpenApiTypes.STR,
            enum=[v for v, _ in facet.choices()] if facet.choices else None,
            description=f"{facet.label_zh} / {facet.description or facet.label_en}",
        )
        for facet in VALUE_FACETS
    ],
    OpenApiParameter("year_from", OpenApiTypes.INT, description=f"application year, {MIN_YEAR}–{MAX_YEAR}"),
    OpenApiParameter("year_to", OpenApiTypes.INT, description=f"application year, {MIN_YEAR}–{MAX_YEAR}, not before year_from"),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=list(SORTS), description="relevance (default), newest, oldest"),
    OpenApiParameter("page", OpenApiTypes.INT, description=f"1–{MAX_PAGE}"),
    OpenApiParameter("page_size", OpenApiTypes.INT, description=f"1–{MAX_PAGE_SIZE}, default 20"),
]


class PatentSearchView(APIView):
    """Technology-field search of the zone patent database (专利检索)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="search_patents",
        summary="Search patents with facets and highlights",
        description=(
            "Full-text search (jieba/smartcn for Chinese, stemmed English) with filters on every IPC level, zone, "
            "industry, applicant, legal status, kind and application year. Returns the hits with highlighted "
            "snippets, the total and every facet with its counts; a facet's count equals the total you get by "
            "adding that value as a filter. Malformed parameters answer 400 naming the parameter."
        ),
        parameters=SEARCH_PARAMETERS,
        responses={200: SearchResponseSerializer, 400: ErrorSerializer},
        tags=["search"],
    )
    def get(self, request):
        try:
            query = parse_search_params(request.query_params)
        except SearchParamError as error:
            return _bad(error)
        result = search_patents(query)
        labels = facet_labels(result.facets)
        cards = hit_cards(hit.id for hit in result.hits)
        english = (get_language() or "").lower().startswith("en")
        return Response(
            {
                "total": result.total,
                "page": result.page,
                "page_size": result.page_size,
                "partial": result.partial,
                "words": list(result.words),
                "dropped_words": list(result.dropped_words),
                "ipc_from_query": result.ipc_from_query,
                "numbers_found": list(result.numbers_found),
                "suggestions": [
                    {"kind": s.kind, "label": s.label_en if english else s.label_zh, "params": s.params, "total": s.total}
                    for s in result.suggestions
                ],
                "suggested_fields": [
                    {"code": f.code, "title": f.title, "score": f.score} for f in result.suggested_fields
                ],
                "hits": [
                    {
                        "id": hit.id,
                        "publication_number": hit.publication_number,
                        "title": hit.title,
                        "score": round(hit.score, 4),
                        "highlights": hit.highlights,
                        "matched_terms": list(hit.matched_terms),
                        "url": patent_url(hit),
                        **_card_fields(cards.get(hit.id)),
                    }
                    for hit in result.hits
                ],
                "facets": {
                    name: [
                        {"value": fv.value, "count": fv.count, "label": labels.get(name, {}).get(fv.value, "")}
                        for fv in values
                    ]
                    for name, values in result.facets.items()
                },
            }
        )


def _card_fields(card) -> dict:
    if card is None:
        return {"legal_status": "", "legal_status_label": "", "listed": False, "price": None, "negotiable": False}
    price = {"amount": card.price_amount, "currency": card.price_currency} if card.price_amount is not None else None
    return {"legal_status": card.legal_status, "legal_status_label": card.legal_status_label, "listed": card.listed,
            "price": price, "negotiable": card.negotiable}


class AutocompleteView(APIView):
    """Completions for the search box: patent titles or applicant names."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="search_autocomplete",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True, description="what has been typed (at most 100 characters)"),
            OpenApiParameter("field", OpenApiTypes.STR, enum=["title", "applicant"], description="default title"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1–20, default 8"),
        ],
        responses={200: AutocompleteSerializer, 400: ErrorSerializer},
        tags=["search"],
    )
    def get(self, request):
        text = (request.query_params.get("q") or "").strip()
        field = (request.query_params.get("field") or "title").strip()
        if field not in ("title", "applicant"):
            return _bad(SearchParamError("field", "应为 title 或 applicant / must be title or applicant"))
        if len(text) > 100:
            return _bad(SearchParamError("q", "过长（最多 100 个字符）/ too long (at most 100 characters)"))
        raw_limit = (request.query_params.get("limit") or "8").strip()
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 20:
            return _bad(SearchParamError("limit", "应在 1–20 之间 / must be between 1 and 20"))
        suggestions = get_search_backend().autocomplete(text, field=field, limit=int(raw_limit)) if text else []
        return Response({"field": field, "suggestions": suggestions})


class FieldSuggestionsSerializer(serializers.Serializer):
    suggestions = FieldSuggestionSerializer(many=True, help_text="IPC subclasses predicted for the text, best first")


class FieldSuggestionsView(APIView):
    """IPC subclasses (with Chinese titles) the field classifier predicts for a text, e.g. a demand being written."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="search_field_suggestions",
        parameters=[
            OpenApiParameter("text", OpenApiTypes.STR, required=True,
                             description=f"the text (title and problem), at most {MAX_FIELD_TEXT} characters"),
            OpenApiParameter("k", OpenApiTypes.INT, description="1–5, default 3"),
        ],
        responses={200: FieldSuggestionsSerializer, 400: ErrorSerializer},
        tags=["search"],
    )
    def get(self, request):
        text = (request.query_params.get("text") or "").strip()
        if not text:
            return _bad(SearchParamError("text", "请填写文字 / a text is required"))
        if len(text) > MAX_FIELD_TEXT:
            return _bad(SearchParamError("text", f"过长（最多 {MAX_FIELD_TEXT} 个字符）/ too long (at most {MAX_FIELD_TEXT} characters)"))
        raw_k = (request.query_params.get("k") or "3").strip()
        if not raw_k.isdigit() or not 1 <= int(raw_k) <= 5:
            return _bad(SearchParamError("k", "应在 1–5 之间 / must be between 1 and 5"))
        found = field_suggestions(text, k=int(raw_k))
        return Response({"suggestions": [{"code": f.code, "title": f.title, "score": f.score} for f in found]})
