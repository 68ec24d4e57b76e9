"""Candidate gathering for matching: search hits, IPC neighbours and listings become scored, ranked matches."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from listings.catalogue.identifiers import parse_ipc
from listings.catalogue.models import LegalStatus, in_force_q
from listings.matching import semantics
from listings.matching.scorer import (
    IPC_POOL,
    MAX_QUERY_CODES,
    MIN_SCORE,
    NEIGHBOUR_POOL,
    TEXT_POOL,
    Candidate,
    DemandQuery,
    ListingOffer,
    MatchResult,
    score_candidate,
    weights_for,
)
from marketplace.kernel.money import Money

#: subclasses the field classifier predicts for a demand without IPC codes (and searched as neighbourhoods)
PREDICTED_FIELDS = 3
#: how much of a candidate's abstract the LSA vector reads
LSA_ABSTRACT_CHARS = 200

# ---------------------------------------------------------------------------------------------
# Candidates: the search interface, then the database for features
# ---------------------------------------------------------------------------------------------
def _neighbourhood(code: str) -> str:
    """The IPC filter used to look for neighbours of a demand code: its main group, else the code."""
    ipc = parse_ipc(code)
    return ipc.at("main_group") or str(ipc)


def _listing_model():
    from django.apps import apps

    try:
        return apps.get_model("listings", "Listing")
    except LookupError:  # the trading models are not installed in this build
        return None


def ipc_neighbours(codes: Sequence[str], *, limit: int = NEIGHBOUR_POOL, exclude: Iterable[int] = ()) -> list[int]:
    """In-force patents sharing a demand code's main group (or the code's own level), newest first."""
    from django.db.models import Q

    from listings.catalogue.models import PatentIpc

    condition = Q()
    for code in codes[:MAX_QUERY_CODES]:
        ipc = parse_ipc(code)
        level = ipc.level if ipc.level != "subgroup" else "main_group"
        condition |= Q(**{PatentIpc.LEVEL_FIELDS[level]: ipc.at(level)})
    if not condition:
        return []
    qs = (
        PatentIpc.objects.filter(condition, in_force_q(prefix="patent__"))
        .exclude(patent_id__in=list(exclude))
        .order_by("-patent_id")
        .values_list("patent_id", flat=True)
    )
    return list(dict.fromkeys(qs[: limit * 3]))[:limit]


def load_candidates(patent_ids: Iterable[int], *, pending: bool = False) -> dict[int, Candidate]:
    """Features of these patents. Kept: patents in force, patents in a public listing, and (``pending``: the
    demand accepts assignment) pending applications; the rest are dropped."""
    from listings.catalogue.models import Patent, PatentIpc

    ids = list(dict.fromkeys(patent_ids))
    if not ids:
        return {}
    in_force_ids = set(Patent.objects.filter(in_force_q(), pk__in=ids).values_list("pk", flat=True))
    rows = Patent.objects.filter(pk__in=ids).values_list("pk", "publication_number", "title", "abstract", "legal_status")
    codes: dict[int, list[str]] = {}
    for patent_id, code in PatentIpc.objects.filter(patent_id__in=ids).order_by("position").values_list("patent_id", "code"):
        codes.setdefault(patent_id, []).append(code)
    industries: dict[int, list[str]] = {}
    for patent_id, code in Patent.industries.through.objects.filter(patent_id__in=ids).values_list("patent_id", "industry__code"):
        industries.setdefault(patent_id, []).append(code)
    zones: dict[int, list[str]] = {}
    for patent_id, code in Patent.zones.through.objects.filter(patent_id__in=ids).values_list("patent_id", "zone__code"):
        zones.setdefault(patent_id, []).append(code)
    offers: dict[int, list[ListingOffer]] = {}
    Listing = _listing_model()
    if Listing is not None:
        from listings.trading.models import PUBLIC_STATUSES

        # two plain index lookups: SQLite plans the join of the two tables badly for a long IN list
        links = list(
            Listing.patents.through.objects.filter(patent_id__in=ids).order_by().values_list("patent_id", "listing_id")
        )
        listings = {
            listing.pk: listing
            for listing in Listing.objects.filter(
                pk__in={listing_id for _, listing_id in links}, status__in=PUBLIC_STATUSES
            ).only("pk", "title", "deal_type", "price_amount", "price_currency", "status")
        }
        for patent_id, listing_id in links:
            listing = listings.get(listing_id)
            if listing is None or not listing.is_public:
                continue
            price = None
            if listing.price_amount is not None:
                price = Money(int(listing.price_amount), listing.price_currency or "CNY")
            offers.setdefault(patent_id, []).append(
                ListingOffer(id=listing.pk, deal_type=listing.deal_type, price=price, title=listing.title)
            )
    candidates = {}
    for pk, publication_number, title, abstract, legal_status in rows:
        in_force = pk in in_force_ids
        is_pending = legal_status == LegalStatus.PENDING
        listing_offers = tuple(sorted(offers.get(pk, ()), key=lambda o: o.id))
        if not in_force and not listing_offers and not (pending and is_pending):
            continue
        candidates[pk] = Candidate(
            patent_id=pk,
            publication_number=publication_number,
            title=title,
            abstract=abstract or "",
            ipc_codes=tuple(codes.get(pk, ())),
            industries=tuple(sorted(industries.get(pk, ()))),
            zones=tuple(sorted(zones.get(pk, ()))),
            in_force=in_force,
            listings=listing_offers,
            pending=is_pending,
        )
    return candidates


def with_predicted_fields(query: DemandQuery) -> DemandQuery:
    """The query with the field classifier's subclasses when it names no IPC code (unchanged otherwise, or
    when no classifier file exists)."""
    if query.ipc_codes or query.predicted_codes or not query.text.strip():
        return query
    from search.classifier import predict_fields

    predicted = tuple((code, float(margin)) for code, margin in predict_fields(query.text, k=PREDICTED_FIELDS))
    return dataclasses.replace(query, predicted_codes=predicted) if predicted else query


def gather_candidates(
    query: DemandQuery,
    *,
    backend,
    include_ids: Sequence[int] = (),
    text_pool: int = TEXT_POOL,
) -> set[int]:
    """Candidate patent ids from the search interface: more-like-this over the whole index, then inside each
    IPC neighbourhood (the demand's codes, or the predicted subclasses), plus IPC neighbours from the database.
    No legal-status filter here: which patents may be matched is decided when their features are read."""
    from search.interface import SearchFilters

    pool: set[int] = set()
    text = query.text.strip()
    fields = [_neighbourhood(code) for code in query.ipc_codes[:MAX_QUERY_CODES]]
    fields += [code for code, _ in query.predicted_codes[:PREDICTED_FIELDS]]
    if text:
        pool.update(hit.id for hit in backend.more_like_this(text=text, limit=text_pool))
        for code in fields:
            pool.update(hit.id for hit in backend.more_like_this(text=text, filters=SearchFilters(ipc=code), limit=IPC_POOL))
    if query.ipc_codes:
        pool.update(ipc_neighbours(query.ipc_codes, exclude=pool))
    pool.update(int(i) for i in include_ids)
    return pool


def score_patents(
    query: DemandQuery,
    patent_ids: Iterable[int],
    *,
    model: semantics.MatchingModel | None = None,
    min_score: float = MIN_SCORE,
) -> list[MatchResult]:
    """Score these patents against the query with the one scorer, best first (both paths come here).

    ``query`` should already carry its predicted fields (``with_predicted_fields``). Every part is absolute
    (nothing is relative to the other candidates), so a patent scores the same whichever path asks."""
    candidates = load_candidates(patent_ids, pending=query.accepts_assignment)
    if not candidates:
        return []
    terms = semantics.demand_terms(query.text, model)
    ordered = list(candidates.values())
    cosines: list[float] | None = None
    if model is not None and query.text.strip():
        # the title twice and the opening of the abstract: what a patent is about, at a bounded cost
        demand = model.embed([query.text])[0]
        vectors = model.embed_cached([f"{c.title} {c.title} {c.abstract[:LSA_ABSTRACT_CHARS]}" for c in ordered])
        cosines = (vectors @ demand).tolist() if len(ordered) else []
    weights = weights_for(query, semantic=cosines is not None)
    results = []
    for i, candidate in enumerate(ordered):
        coverage, held = terms.coverage(semantics.document_text(f"{candidate.title} {candidate.abstract}"))
        result = score_candidate(
            query,
            candidate,
            text_raw=coverage,
            matched_terms=held,
            semantic_raw=None if cosines is None else max(0.0, cosines[i]),
            weights=weights,
        )
        if result.score >= min_score:
            results.append(result)
    results.sort(key=lambda r: (-r.score, r.patent_id))
    return results


def match(
    query: DemandQuery,
    *,
    limit: int = 20,
    backend=None,
    include_ids: Sequence[int] = (),
    min_score: float = MIN_SCORE,
    model: semantics.MatchingModel | None | bool = True,
    predict: bool = True,
) -> list[MatchResult]:
    """The best ``limit`` matches for ``query``, best first.

    ``include_ids`` forces patents into the candidate pool. ``model``: the matching model (True: the one
    under var/, None or False: none). ``predict``: give a demand without IPC codes the predicted fields."""
    if backend is None:
        from search import get_search_backend

        backend = get_search_backend()
    matching_model = semantics.load() if model is True else (model or None)
    if predict:
        query = with_predicted_fields(query)
    pool = gather_candidates(query, backend=backend, include_ids=include_ids)
    if not pool:
        return []
    return score_patents(query, pool, model=matching_model, min_score=min_score)[:limit]


def text_only(query: DemandQuery, *, limit: int = 10, backend=None) -> list[int]:
    """The baseline the benchmark compares against: the engine's more-like-this ranking alone (over the
    patents the matcher may propose: pending applications too when the demand accepts assignment)."""
    from search.interface import SearchFilters

    if backend is None:
        from search import get_search_backend

        backend = get_search_backend()
    filters = SearchFilters() if query.accepts_assignment else SearchFilters(legal_status=LegalStatus.IN_FORCE)
    hits = backend.more_like_this(text=query.text, filters=filters, limit=limit)
    return [hit.id for hit in hits]
