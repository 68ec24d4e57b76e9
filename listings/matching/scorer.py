"""The pure matching scorer (no database): a demand query and a candidate in, a score with its explanation out.

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
from typing import Any

from listings.catalogue.identifiers import IdentifierError, parse_ipc
from marketplace.kernel.money import Money

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
    def from_demand(cls, demand) -> DemandQuery:
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
    bound = high or low
    currency = bound.currency if bound else None
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
    within_ratio = price / high.amount if high is not None and high.amount else None
    return 1.0, {
        "status": "within",
        "ratio": round(within_ratio, 4) if within_ratio is not None else None,
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
        parts: list[dict[str, Any]] = []
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
