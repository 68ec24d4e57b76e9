"""Matching a technology demand (技术需求) against the zone database and the exchange's listings.

A demand is first turned into a ``DemandQuery`` (a plain frozen value, so the scorer can be tested and
benchmarked without the ``Demand`` model). ``match`` then

1. gathers candidates through the search interface only (``more_like_this`` on the demand's text, once
   over the whole index and once inside each of the demand's IPC neighbourhoods among in-force patents)
   plus IPC neighbours straight from the ``PatentIpc`` level columns, so a patent in the right main group
   is considered even when it shares no words with the demand; patents neither in force nor in a public
   listing are dropped;
2. reads each candidate's features (IPC codes, industries, zones, legal status, public listings) in a
   handful of queries;
3. scores every candidate with ``score_candidate``: a weighted sum of five parts, each part's raw value
   in [0, 1]. The explanation stores each part's weight, raw value, contribution and share of the score,
   so what the matches page shows is exactly what ranked the match.

Weights are in ``WEIGHTS``; parts the demand says nothing about (no IPC codes, no industry or zone) are
left out and the remaining weights rescaled to sum to 1, so scores of different demands stay comparable.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from marketplace.kernel.money import Money
from listings.catalogue.identifiers import IPC_LEVELS, IdentifierError, parse_ipc

#: the parts of the score and their weights (sum 1)
WEIGHTS: dict[str, float] = {
    "text": 0.45,
    "ipc": 0.25,
    "field": 0.10,
    "budget": 0.10,
    "deal_type": 0.10,
}
PART_LABELS = {
    "text": "文本相关度 text relevance",
    "ipc": "IPC 邻近度 IPC proximity",
    "field": "产业/实验区 industry & zone fit",
    "budget": "预算 budget fit",
    "deal_type": "交易方式 deal-type fit",
}

#: raw IPC proximity by the deepest level the demand's and the patent's codes share
IPC_LEVEL_RAW = {"main_group": 1.0, "subclass": 0.7, "class": 0.4, "section": 0.15}
#: shallow → deep; ``subgroup`` agreement counts as ``main_group`` (the finest level we report)
IPC_COMPARE_LEVELS = ("section", "class", "subclass", "main_group")

DEAL_TYPES = ("assignment", "licence", "open_licence")
DEAL_TYPE_LABELS = {"assignment": "转让", "licence": "许可", "open_licence": "开放许可"}

#: a candidate needs at least this score to be kept
MIN_SCORE = 0.05
#: candidate pool sizes per search call
TEXT_POOL = 100
IPC_POOL = 40
NEIGHBOUR_POOL = 20
MAX_QUERY_CODES = 3


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemandQuery:
    """What a demand asks for, in the scorer's terms (codes, never model instances)."""

    text: str
    ipc_codes: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()  # industry codes
    zones: tuple[str, ...] = ()  # zone codes
    budget_min: Money | None = None
    budget_max: Money | None = None
    deal_types: tuple[str, ...] = ()

    def __post_init__(self):
        codes = []
        for code in self.ipc_codes:
            try:
                normalised = str(parse_ipc(code))
            except IdentifierError as exc:
                raise IdentifierError(f"ipc_codes: {exc}") from exc
            if normalised not in codes:
                codes.append(normalised)
        object.__setattr__(self, "ipc_codes", tuple(codes))
        object.__setattr__(self, "industries", tuple(self.industries))
        object.__setattr__(self, "zones", tuple(self.zones))
        unknown = [d for d in self.deal_types if d not in DEAL_TYPES]
        if unknown:
            raise ValueError(f"deal_types: unknown deal type {unknown[0]!r}")
        object.__setattr__(self, "deal_types", tuple(self.deal_types))
        if self.budget_min and self.budget_max:
            if self.budget_min.currency != self.budget_max.currency:
                raise ValueError("budget_max: currency differs from budget_min")
            if self.budget_min.amount > self.budget_max.amount:
                raise ValueError("budget_max: below budget_min")

    @classmethod
    def from_demand(cls, demand) -> "DemandQuery":
        """The query for a ``listings.Demand`` row (title and problem are the text)."""
        currency = getattr(demand, "currency", "") or "CNY"

        def money(amount):
            return None if amount is None else Money(int(amount), currency)

        codes = []
        for code in demand.ipc_codes or ():
            try:
                codes.append(str(parse_ipc(code)))
            except IdentifierError:
                continue  # the demand form validates; a stale bad code must not break matching
        return cls(
            text=" ".join(part for part in (demand.title, demand.problem) if part),
            ipc_codes=tuple(codes),
            industries=tuple(sorted(demand.industries.values_list("code", flat=True))),
            zones=tuple(sorted(demand.zones.values_list("code", flat=True))),
            budget_min=money(demand.budget_min),
            budget_max=money(demand.budget_max),
            deal_types=tuple(d for d in (demand.deal_types or ()) if d in DEAL_TYPES),
        )


@dataclass(frozen=True)
class ListingOffer:
    """What the scorer needs of a published listing."""

    id: int
    deal_type: str
    price: Money | None  # None = 面议 (negotiable)
    title: str = ""


@dataclass(frozen=True)
class Candidate:
    """One patent as the scorer sees it."""

    patent_id: int
    publication_number: str = ""
    title: str = ""
    ipc_codes: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    in_force: bool = True
    listings: tuple[ListingOffer, ...] = ()


@dataclass(frozen=True)
class MatchResult:
    patent_id: int
    listing_id: int | None
    score: float
    explanation: dict = field(default_factory=dict)
    publication_number: str = ""
    title: str = ""


# ---------------------------------------------------------------------------------------------
# The parts
# ---------------------------------------------------------------------------------------------
def ipc_proximity(query_codes: Iterable[str], patent_codes: Iterable[str]) -> tuple[str | None, float, tuple[str, str] | None]:
    """The deepest level any demand code shares with any patent code: (level, raw, (demand code, patent code))."""
    best: tuple[str | None, float, tuple[str, str] | None] = (None, 0.0, None)
    parsed_patent = []
    for code in patent_codes:
        try:
            parsed_patent.append((code, parse_ipc(code)))
        except IdentifierError:
            continue
    for qcode in query_codes:
        try:
            q = parse_ipc(qcode)
        except IdentifierError:
            continue
        for pcode, p in parsed_patent:
            level = None
            for name in IPC_COMPARE_LEVELS:
                qa, pa = q.at(name), p.at(name)
                if qa is None or pa is None or qa != pa:
                    break
                level = name
            if level is not None and IPC_LEVEL_RAW[level] > best[1]:
                best = (level, IPC_LEVEL_RAW[level], (qcode, pcode))
    return best


def field_fit(query: DemandQuery, candidate: Candidate) -> tuple[float, dict]:
    """Industry and zone agreement, each 0 or 1, averaged over the ones the demand names."""
    checks = {}
    if query.industries:
        shared = sorted(set(query.industries) & set(candidate.industries))
        checks["industries"] = shared
    if query.zones:
        shared = sorted(set(query.zones) & set(candidate.zones))
        checks["zones"] = shared
    if not checks:
        return 0.0, {}
    raw = sum(1.0 for shared in checks.values() if shared) / len(checks)
    return raw, checks


def budget_fit(query: DemandQuery, offer: ListingOffer | None) -> tuple[float, dict]:
    """How the asking price sits against the demand's budget.

    Within budget (or cheaper) is a full fit; over budget decays linearly and reaches 0 at 50 % over.
    An unlisted patent has no price yet (0.5: it may still be negotiated), a listing marked 面议 0.6.
    """
    low, high = query.budget_min, query.budget_max
    currency = (high or low).currency if (high or low) else None
    if offer is None:
        return 0.5, {"status": "unlisted", "ratio": None, "text": "未挂牌，价格待议 / not listed, no asking price"}
    if offer.price is None:
        return 0.6, {"status": "negotiable", "ratio": None, "text": "价格面议 / price negotiable"}
    if currency is None:
        return 1.0, {"status": "no_budget", "ratio": None, "text": f"需求未设预算；报价 {offer.price} / no budget set"}
    if offer.price.currency != currency:
        return 0.3, {
            "status": "currency_differs",
            "ratio": None,
            "text": f"报价币种 {offer.price.currency} 与预算 {currency} 不同 / currency differs",
        }
    price = offer.price.amount
    if high is not None and price > high.amount:
        ratio = price / high.amount if high.amount else float("inf")
        raw = max(0.0, 1.0 - 2.0 * (ratio - 1.0))
        return raw, {
            "status": "over",
            "ratio": round(ratio, 4) if ratio != float("inf") else None,
            "text": f"报价 {offer.price} 超出预算上限 {high} {ratio - 1:.0%} / over budget",
        }
    if low is not None and price < low.amount:
        ratio = price / low.amount if low.amount else 0.0
        return 1.0, {"status": "below", "ratio": round(ratio, 4), "text": f"报价 {offer.price} 低于预算下限 {low} / below budget"}
    ratio = price / high.amount if high is not None and high.amount else None
    return 1.0, {
        "status": "within",
        "ratio": round(ratio, 4) if ratio is not None else None,
        "text": f"报价 {offer.price} 在预算内 / within budget",
    }


def deal_type_fit(query: DemandQuery, offer: ListingOffer | None) -> tuple[float, dict]:
    """Whether the listing's deal type is one the demand accepts.

    An open licence is a non-exclusive licence anyone may take (Patent Law art. 50), so it fits a
    demand for a licence at 0.8; an unlisted patent is open to any deal (0.5).
    """
    if offer is None:
        return 0.5, {"status": "unlisted", "text": "未挂牌，交易方式可商议 / not listed"}
    label = DEAL_TYPE_LABELS.get(offer.deal_type, offer.deal_type)
    if not query.deal_types or offer.deal_type in query.deal_types:
        return 1.0, {"status": "fits", "text": f"{label} 符合需求 / fits"}
    if offer.deal_type == "open_licence" and "licence" in query.deal_types:
        return 0.8, {"status": "open_licence_for_licence", "text": "开放许可（普通许可）/ open licence counts as a licence"}
    return 0.0, {"status": "mismatch", "text": f"{label} 不在需求的交易方式内 / deal type not wanted"}


def weights_for(query: DemandQuery) -> dict[str, float]:
    """The weights that apply to this demand, rescaled to sum to 1."""
    applicable = dict(WEIGHTS)
    if not query.ipc_codes:
        applicable.pop("ipc")
    if not query.industries and not query.zones:
        applicable.pop("field")
    if not query.text.strip():
        applicable.pop("text")
    total = sum(applicable.values())
    return {name: weight / total for name, weight in applicable.items()}


def score_candidate(
    query: DemandQuery,
    candidate: Candidate,
    *,
    text_raw: float = 0.0,
    matched_terms: Sequence[str] = (),
    weights: dict[str, float] | None = None,
) -> MatchResult:
    """Score one candidate; a listed patent is scored once per listing and its best listing kept."""
    weights = weights or weights_for(query)
    level, ipc_raw, ipc_pair = ipc_proximity(query.ipc_codes, candidate.ipc_codes)
    field_raw, field_detail = field_fit(query, candidate)
    offers: Sequence[ListingOffer | None] = candidate.listings or (None,)
    best: MatchResult | None = None
    for offer in offers:
        budget_raw, price_fit = budget_fit(query, offer)
        deal_raw, deal_fit = deal_type_fit(query, offer)
        raws = {
            "text": max(0.0, min(1.0, text_raw)),
            "ipc": ipc_raw,
            "field": field_raw,
            "budget": budget_raw,
            "deal_type": deal_raw,
        }
        parts = []
        for name, weight in weights.items():
            parts.append({"name": name, "label": PART_LABELS[name], "weight": weight, "raw": raws[name],
                          "contribution": weight * raws[name]})
        score = sum(part["contribution"] for part in parts)
        for part in parts:
            part["share"] = part["contribution"] / score if score > 0 else 0.0
        explanation = {
            "matched_terms": list(dict.fromkeys(matched_terms)),
            "ipc_level": level,
            "ipc_pair": list(ipc_pair) if ipc_pair else None,
            "price_fit": price_fit,
            "deal_type_fit": deal_fit,
            "field_fit": field_detail,
            "parts": parts,
        }
        result = MatchResult(
            patent_id=candidate.patent_id,
            listing_id=offer.id if offer else None,
            score=score,
            explanation=explanation,
            publication_number=candidate.publication_number,
            title=candidate.title,
        )
        if best is None or result.score > best.score:
            best = result
    assert best is not None
    return best


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

    from listings.catalogue.models import LegalStatus, PatentIpc

    condition = Q()
    for code in codes[:MAX_QUERY_CODES]:
        ipc = parse_ipc(code)
        level = ipc.level if ipc.level != "subgroup" else "main_group"
        condition |= Q(**{PatentIpc.LEVEL_FIELDS[level]: ipc.at(level)})
    if not condition:
        return []
    qs = (
        PatentIpc.objects.filter(condition, patent__legal_status=LegalStatus.IN_FORCE)
        .exclude(patent_id__in=list(exclude))
        .order_by("-patent_id")
        .values_list("patent_id", flat=True)
    )
    return list(dict.fromkeys(qs[: limit * 3]))[:limit]


def load_candidates(patent_ids: Iterable[int]) -> dict[int, Candidate]:
    """Features of these patents; patents neither in force nor in a public listing are dropped."""
    from listings.catalogue.models import LegalStatus, Patent, PatentIpc

    ids = list(dict.fromkeys(patent_ids))
    if not ids:
        return {}
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
    for pk, publication_number, title, legal_status in rows:
        in_force = legal_status == LegalStatus.IN_FORCE
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


__all__ = [
    "WEIGHTS",
    "IPC_LEVEL_RAW",
    "IPC_LEVELS",
    "DemandQuery",
    "ListingOffer",
    "Candidate",
    "MatchResult",
    "ipc_proximity",
    "budget_fit",
    "deal_type_fit",
    "field_fit",
    "weights_for",
    "score_candidate",
    "load_candidates",
    "ipc_neighbours",
    "gather_candidates",
    "match",
    "text_only",
]
