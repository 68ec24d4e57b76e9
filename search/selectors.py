"""Reading search results for the page and the API: the engine's result plus suggestions for an empty or thin
result (drop a word, widen a filter, search in the IPC subclass most common among the hits) and suggested
fields for sentence queries (``search.classifier``)."""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from typing import Any

from marketplace import metrics
from search import get_search_backend
from search.facets import VALUE_FACETS
from search.interface import FieldSuggestion, SearchFilters, SearchQuery, SearchResult, Suggestion
from search.understanding import understand

#: suggestions are offered below this many results (or when the results are partial)
THIN = 3
MAX_DROP_TRIES = 6


def _ipc_titles(codes) -> dict[str, str]:
    from listings.catalogue.models import IpcEntry

    return {e.code: e.title_zh for e in IpcEntry.objects.filter(code__in=list(codes)).only("code", "title_zh")}


def _count(backend, query: SearchQuery) -> int:
    return backend.search(dataclasses.replace(query, page=1, page_size=1, facets=False, highlight=False)).total


def suggestions_for(backend, query: SearchQuery, result: SearchResult) -> tuple[Suggestion, ...]:
    """What to try instead when ``result`` is empty, thin or partial (each tried with a count)."""
    if result.total >= THIN and not result.partial:
        return ()
    out: list[Suggestion] = []
    words = result.words
    if len(words) >= 2:
        best = None
        for word in words[:MAX_DROP_TRIES]:
            text = " ".join(w for w in words if w != word)
            total = _count(backend, dataclasses.replace(query, text=text))
            if total > result.total and (best is None or total > best[1]):
                best = (word, total, text)
        if best:
            out.append(Suggestion("drop_word", {"q": best[2]}, f"去掉“{best[0]}”再试", f"Try without “{best[0]}”", best[1]))
    filters = query.filters
    widened = []
    if filters.ipc:
        widened.append(("ipc", dataclasses.replace(filters, ipc=""), "IPC"))
    for facet in VALUE_FACETS:
        if getattr(filters, facet.filter_attr):
            cleared: dict[str, Any] = {facet.filter_attr: ""}  # the attribute is named by the facet registry
            widened.append((facet.param, dataclasses.replace(filters, **cleared), facet.label_zh))
    if filters.year_from is not None or filters.year_to is not None:
        widened.append(("year", dataclasses.replace(filters, year_from=None, year_to=None), "申请年份"))
    best = None
    for param, wider, label in widened:
        total = _count(backend, dataclasses.replace(query, filters=wider))
        if total > result.total and (best is None or total > best[1]):
            best = (param, total, label)
    if best:
        param, total, label = best
        params = {"year_from": "", "year_to": ""} if param == "year" else {param: ""}
        out.append(Suggestion("widen", params, f"取消“{label}”筛选", f"Remove the {label} filter", total))
    if not filters.ipc and not result.ipc_from_query:
        subclasses = result.facets.get("ipc_subclass") or []
        if subclasses and (result.partial or result.total < THIN):
            top = subclasses[0]
            title = _ipc_titles([top.value]).get(top.value, "")
            out.append(Suggestion("ipc", {"ipc": top.value}, f"在 {top.value} {title} 中检索？".replace("  ", " "),
                                  f"Search in {top.value} {title}?", top.count))
    return tuple(out)


def suggested_fields(query: SearchQuery, result: SearchResult, *, k: int = 3) -> tuple[FieldSuggestion, ...]:
    """IPC subclasses predicted for a sentence query with no IPC filter ([] without a trained model)."""
    if query.filters.ipc or result.ipc_from_query or not query.text.strip():
        return ()
    if not understand(query.text).is_sentence:
        return ()
    from search.classifier import predict_fields

    predicted = predict_fields(query.text, k=k)
    if not predicted:
        return ()
    titles = _ipc_titles(code for code, _ in predicted)
    return tuple(FieldSuggestion(code, titles.get(code, ""), round(score, 3)) for code, score in predicted)


#: the longest text the field suggestions read (a demand's title and problem)
MAX_FIELD_TEXT = 5_000


def field_suggestions(text: str, *, k: int = 3) -> tuple[FieldSuggestion, ...]:
    """IPC subclasses the field classifier predicts for any text (a demand's title and problem), with their
    Chinese titles; () for an empty text or without a trained model."""
    text = (text or "").strip()[:MAX_FIELD_TEXT]
    if not text:
        return ()
    from search.classifier import predict_fields

    predicted = predict_fields(text, k=k)
    titles = _ipc_titles(code for code, _ in predicted)
    return tuple(FieldSuggestion(code, titles.get(code, ""), round(score, 3)) for code, score in predicted)


@dataclasses.dataclass(frozen=True)
class HitCard:
    """What a result row shows besides the engine's hit: legal status, the filing year, and the exchange offer
    (listed: the lowest asking price of its public listings, or 面议 when none of them names a price)."""

    legal_status: str
    legal_status_label: str
    application_year: int | None
    listed: bool
    price_amount: int | None  # fen
    price_currency: str
    negotiable: bool

    @property
    def price(self):
        from marketplace.kernel.money import Money

        return None if self.price_amount is None else Money(self.price_amount, self.price_currency)


def hit_cards(ids: Iterable[int]) -> dict[int, HitCard]:
    """The cards of these patents from the database (fresher than the index: a listing just withdrawn shows so).

    The listings are read through the patent's reverse relation, as ``search.documents`` does; search never
    imports the trading domain."""
    from listings.catalogue.models import LegalStatus, Patent

    ids = [int(i) for i in ids]
    if not ids:
        return {}
    qs = Patent.objects.filter(pk__in=ids).only("pk", "legal_status", "application_year")
    has_listings = hasattr(Patent, "listings")
    if has_listings:
        qs = qs.prefetch_related("listings")
    labels = dict(LegalStatus.choices)
    cards = {}
    for patent in qs:
        public = [lst for lst in patent.listings.all() if getattr(lst, "is_public", False)] if has_listings else []
        prices: list[tuple[int, str]] = []
        for listing in public:
            amount = getattr(listing, "price_amount", None)
            if amount is not None:
                prices.append((int(amount), getattr(listing, "price_currency", "") or "CNY"))
        cheapest = min(prices) if prices else None
        cards[patent.pk] = HitCard(
            legal_status=patent.legal_status,
            legal_status_label=str(labels.get(patent.legal_status, patent.legal_status or "")),
            application_year=patent.application_year,
            listed=bool(public),
            price_amount=cheapest[0] if cheapest else None,
            price_currency=cheapest[1] if cheapest else "",
            negotiable=bool(public) and cheapest is None,
        )
    return cards


def search_patents(query: SearchQuery, *, backend=None) -> SearchResult:
    """The engine's result with suggestions and suggested fields filled in."""
    backend = backend or get_search_backend()
    started = time.perf_counter()
    result = backend.search(query)
    metrics.SEARCH_SECONDS.labels(engine=backend.name).observe(time.perf_counter() - started)
    return dataclasses.replace(
        result,
        suggestions=suggestions_for(backend, query, result),
        suggested_fields=suggested_fields(query, result),
    )


__all__ = ["search_patents", "hit_cards", "HitCard", "suggestions_for", "suggested_fields", "field_suggestions", "SearchFilters"]
