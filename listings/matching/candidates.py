"""Candidate gathering for matching: search hits, IPC neighbours and listings become scored, ranked matches."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from listings.catalogue.identifiers import parse_ipc
from listings.catalogue.models import in_force_q
from listings.matching.scorer import Candidate, DemandQuery, ListingOffer, MatchResult, score_candidate, weights_for
from marketplace.kernel.money import Money

#: a candidate needs at least this score to be kept
MIN_SCORE = 0.05
#: candidate pool sizes per search call
TEXT_POOL = 100
IPC_POOL = 40
NEIGHBOUR_POOL = 20
MAX_QUERY_CODES = 3




# ---------------------------------------------------------------------------------------------
# Candidates: the search interface, then the database for features
# ---------------------------------------------------------------------------------------------
def _neighbourhood(code: str) -> str:
    """The IPC filter used to look for neighbours of a demand code: its main group, else the code."""
    ipc = parse_ipc(code)
    return ipc.at("main_group") or str(ipc)


def _collect(hits, pool: dict[int, tuple[float, set[str]]]) -> None:
    for hit in hits:
        score, terms = pool.get(hit.id, (0.0, set()))
        pool[hit.id] = (max(score, float(hit.score)), terms | set(hit.matched_terms))


def _collect_full_matches(text: str, filters, *, backend, pool: dict[int, tuple[float, set[str]]]) -> None:
    """Patents in the demand's IPC neighbourhood that contain *every* term of the demand (the engine's
    BM25 search). More-like-this keeps only the most distinctive terms, and in a field full of generic
    titles (数据存储方法、…存储介质) those can miss the one patent that says everything the demand says;
    a full match inside the right field is as strong as text evidence gets, so it ranks with the best
    more-like-this hit."""
    from search.interface import SearchQuery

    result = backend.search(
        SearchQuery(text=text, filters=filters, sort="relevance", page_size=IPC_POOL, facets=False, highlight=False)
    )
    if not result.hits:
        return
    best = max((score for score, _ in pool.values()), default=0.0)
    for hit in result.hits:
        score, terms = pool.get(hit.id, (0.0, set()))
        pool[hit.id] = (max(score, float(hit.score), best), terms | set(hit.matched_terms))


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


def load_candidates(patent_ids: Iterable[int]) -> dict[int, Candidate]:
    """Features of these patents; patents neither in force nor in a public listing are dropped."""
    from listings.catalogue.models import Patent, PatentIpc

    ids = list(dict.fromkeys(patent_ids))
    if not ids:
        return {}
    in_force_ids = set(Patent.objects.filter(in_force_q(), pk__in=ids).values_list("pk", flat=True))
    rows = Patent.objects.filter(pk__in=ids).values_list("pk", "publication_number", "title", "legal_status")
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
    for pk, publication_number, title, _legal_status in rows:
        in_force = pk in in_force_ids
        listing_offers = tuple(sorted(offers.get(pk, ()), key=lambda o: o.id))
        if not in_force and not listing_offers:
            continue
        candidates[pk] = Candidate(
            patent_id=pk,
            publication_number=publication_number,
            title=title,
            ipc_codes=tuple(codes.get(pk, ())),
            industries=tuple(sorted(industries.get(pk, ()))),
            zones=tuple(sorted(zones.get(pk, ()))),
            in_force=in_force,
            listings=listing_offers,
        )
    return candidates


def gather_candidates(
    query: DemandQuery,
    *,
    backend,
    include_ids: Sequence[int] = (),
    text_pool: int = TEXT_POOL,
) -> dict[int, tuple[float, set[str]]]:
    """Candidate patent ids with their text score and matched terms, from the search interface."""
    from listings.catalogue.models import LegalStatus
    from search.interface import SearchFilters

    pool: dict[int, tuple[float, set[str]]] = {}
    text = query.text.strip()
    if text:
        # one unfiltered call covers in-force patents and listed ones alike (a listed application may be
        # pending); patents that are neither are dropped when their features are read
        _collect(backend.more_like_this(text=text, limit=text_pool), pool)
        for code in query.ipc_codes[:MAX_QUERY_CODES]:
            neighbourhood = SearchFilters(ipc=_neighbourhood(code), legal_status=LegalStatus.IN_FORCE)
            _collect(backend.more_like_this(text=text, filters=neighbourhood, limit=IPC_POOL), pool)
            _collect_full_matches(text, neighbourhood, backend=backend, pool=pool)
        forced = tuple(int(i) for i in include_ids if int(i) not in pool)
        if forced:
            _collect(backend.more_like_this(text=text, filters=SearchFilters(ids=forced), limit=len(forced)), pool)
    if query.ipc_codes:
        for patent_id in ipc_neighbours(query.ipc_codes, exclude=pool.keys()):
            pool.setdefault(patent_id, (0.0, set()))
    for patent_id in include_ids:
        pool.setdefault(int(patent_id), (0.0, set()))
    return pool


def match(
    query: DemandQuery,
    *,
    limit: int = 20,
    backend=None,
    include_ids: Sequence[int] = (),
    min_score: float = MIN_SCORE,
) -> list[MatchResult]:
    """The best ``limit`` matches for ``query``, best first.

    ``include_ids`` forces patents into the candidate pool (a newly published listing's patents are
    checked against every demand this way, whether or not they make the text pool).
    Text relevance is the engine's score divided by the best score in the pool, so the best text match
    has raw 1 and the others are relative to it.
    """
    if backend is None:
        from search import get_search_backend

        backend = get_search_backend()
    pool = gather_candidates(query, backend=backend, include_ids=include_ids)
    if not pool:
        return []
    candidates = load_candidates(pool.keys())
    top = max((score for pid, (score, _) in pool.items() if pid in candidates), default=0.0)
    weights = weights_for(query)
    results = []
    for patent_id, candidate in candidates.items():
        score, terms = pool[patent_id]
        result = score_candidate(
            query,
            candidate,
            text_raw=(score / top) if top > 0 else 0.0,
            matched_terms=sorted(terms),
            weights=weights,
        )
        if result.score >= min_score:
            results.append(result)
    results.sort(key=lambda r: (-r.score, r.patent_id))
    return results[:limit]


def text_only(query: DemandQuery, *, limit: int = 10, backend=None) -> list[int]:
    """The baseline the benchmark compares against: the engine's more-like-this ranking alone."""
    from listings.catalogue.models import LegalStatus
    from search.interface import SearchFilters

    if backend is None:
        from search import get_search_backend

        backend = get_search_backend()
    hits = backend.more_like_this(text=query.text, filters=SearchFilters(legal_status=LegalStatus.IN_FORCE), limit=limit)
    return [hit.id for hit in hits]

