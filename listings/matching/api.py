"""API of matching and saved searches. Objects of other users or organisations are a 404."""
from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from listings.demands.models import Demand
from listings.matching import presentation, selectors
from listings.matching import services as services
from listings.matching.models import AlertFrequency, DemandMatch, SavedSearch, SavedSearchScope


class MatchPartSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label"; stubs see Field.label
    weight = serializers.FloatField()
    raw = serializers.FloatField()
    contribution = serializers.FloatField()
    share = serializers.FloatField()


class MatchReasonSerializer(serializers.Serializer):
    aspect = serializers.CharField()
    text = serializers.CharField()


class DemandMatchSerializer(serializers.ModelSerializer):
    publication_number = serializers.CharField(source="patent.publication_number")
    title = serializers.CharField(source="patent.title")
    matched_terms = serializers.SerializerMethodField()
    ipc_level = serializers.SerializerMethodField()
    price_fit = serializers.SerializerMethodField()
    parts = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = DemandMatch
        fields = ["patent", "publication_number", "title", "listing", "score", "rank", "matched_terms", "ipc_level",
                  "price_fit", "parts", "reasons", "computed_at", "explanation"]

    def get_matched_terms(self, row) -> list[str]:
        return row.explanation.get("matched_terms", [])

    def get_ipc_level(self, row) -> str | None:
        return row.explanation.get("ipc_level")

    def get_price_fit(self, row) -> dict:
        """The stored codes and numbers, with ``text`` worded in the request's language."""
        fit = dict(row.explanation.get("price_fit", {}))
        fit["text"] = presentation.price_fit_text(fit)
        return fit

    @extend_schema(responses=MatchPartSerializer(many=True))
    def get_parts(self, row) -> list[dict]:
        return cast(list[dict[Any, Any]], MatchPartSerializer(presentation.parts(row.explanation), many=True).data)

    @extend_schema(responses=MatchReasonSerializer(many=True))
    def get_reasons(self, row) -> list[dict]:
        """Each aspect of the match in words, in the request's language (the stored explanation holds codes)."""
        return [{"aspect": what, "text": words} for what, words in presentation.reasons(row.explanation)]


class DemandMatchesView(ListAPIView):
    """GET /api/demands/<id>/matches/: the demand's ranked matches, for its organisation and operators."""

    serializer_class = DemandMatchSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DemandMatch.objects.none()
        demand = Demand.objects.select_related("organisation").filter(pk=self.kwargs["pk"]).first()
        if demand is None or not selectors.can_view_demand_matches(self.request.user, demand):
            raise NotFound("没有这个需求 / no such demand")
        return selectors.demand_matches(demand=demand)


class SavedSearchSerializer(serializers.ModelSerializer):
    scope = serializers.ChoiceField(choices=SavedSearchScope.choices)
    frequency = serializers.ChoiceField(choices=AlertFrequency.choices, default=AlertFrequency.DAILY)
    params = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)

    class Meta:
        model = SavedSearch
        fields = ["id", "name", "scope", "params", "frequency", "last_alerted_at", "last_run_at", "created_at"]
        read_only_fields = ["id", "last_alerted_at", "last_run_at", "created_at"]


class SavedSearchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The signed-in user's saved searches; only ``frequency`` may be changed after saving."""

    serializer_class = SavedSearchSerializer
    permission_classes = [IsAuthenticated]
    queryset = SavedSearch.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SavedSearch.objects.none()
        return selectors.saved_searches_for(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            saved = services.saved_search_create(user=request.user, **serializer.validated_data)
        except services.SavedSearchError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None
        return Response(self.get_serializer(saved).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        saved = self.get_object()
        frequency = request.data.get("frequency", saved.frequency)
        try:
            saved = services.saved_search_update(saved_search=saved, by=request.user, frequency=frequency)
        except services.SavedSearchError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None
        return Response(self.get_serializer(saved).data)

    def perform_destroy(self, instance):
        services.saved_search_delete(saved_search=instance, by=self.request.user)
