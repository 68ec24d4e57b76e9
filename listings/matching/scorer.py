"""The pure matching scorer (no database): a demand query and a candidate in, a score with its explanation out.

A demand is first turned into a ``DemandQuery`` (a plain frozen value, so the scorer can be tested and
benchmarked without the ``Demand`` model). ``listings.matching.candidates`` gathers candidates and measures
the corpus-dependent parts (term coverage weighted by informativeness, the LSA cosine); ``score_candidate``
then adds six parts, each raw value in [0, 1], with the weights of ``WEIGHTS``:

- ``text``: the informativeness-weighted share of the demand's words the patent holds (precise-mode words,
  synonyms grouped, no sub-words of the demand's words);
- ``semantic``: the cosine of the demand's and the patent's LSA vectors (no shared word needed);
- ``ipc``: the deepest IPC level shared with the demand's codes, or, when the demand names none, agreement
  with the subclasses the field classifier predicts for its text;
- ``field``: industry and zone agreement; ``budget`` and ``deal_type``: the offer against the demand.

Parts the demand says nothing about are left out and the remaining weights rescaled to sum to 1, so scores
of different demands stay comparable and one threshold (``MATCH_THRESHOLD``) serves both the demand → patent
and the listing → demand paths.

The explanation holds codes and numbers only (part names, statuses, ratios, amounts in fen, IPC codes, the
matched words); ``listings.matching.presentation`` words it when it is shown.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from listings.catalogue.identifiers import IdentifierError, parse_ipc
from marketplace.kernel.money import Money

#: the parts of the score and their weights (sum 1); tuned on the development set (``make bench-matching``)
WEIGHTS: dict[str, float] = {
    "text": 0.35,
    "semantic": 0.10,
    "ipc": 0.30,
    "field": 0.10,
    "budget": 0.075,
    "deal_type": 0.075,
}
PARTS = tuple(WEIGHTS)

#: raw IPC proximity by the deepest level the demand's and the patent's codes share
IPC_LEVEL_RAW = {"main_group": 1.0, "subclass": 0.7, "class": 0.4, "section": 0.15}
#: shallow → deep; ``subgroup`` agreement counts as ``main_group`` (the finest level we report)
IPC_COMPARE_LEVELS = ("section", "class", "subclass", "main_group")

DEAL_TYPES = ("assignment", "licence", "open_licence")

#: raw IPC agreement with the field classifier's 1st, 2nd and 3rd predicted subclass (a demand without codes)
PREDICTED_RAW = (1.0, 0.75, 0.5)
#: raw IPC agreement when only the class (first three characters) of a predicted subclass is shared
PREDICTED_CLASS_RAW = 0.3

#: a candidate needs at least this score to be kept
MIN_SCORE = 0.05
#: the one threshold of both paths: a match is announced to a buyer only at or above it. Calibrated on the
#: development set by ``make bench-matching`` (the lowest score at which matches are in an acceptable field
#: at least 90 % of the time; see docs/benchmarks.md "## Matching").
MATCH_THRESHOLD = 0.32
#: candidate pool sizes per search call
TEXT_POOL = 100
IPC_POOL = 40
NEIGHBOUR_POOL = 20
MAX_QUERY_CODES = 3
#: the explanation format: 2 = codes and numbers only (worded by ``presentation``); 1 held bilingual sentences
EXPLANATION_VERSION = 2


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
    #: IPC subclasses the field classifier predicts for the text, best first, with its margin (filled in by
    #: ``candidates`` when the demand names no IPC code)
    predicted_codes: tuple[tuple[str, float], ...] = ()

    @property
    def accepts_assignment(self) -> bool:
        """An assignment (here: of a pending application's right) is acceptable: named, or no deal type named."""
        return not self.deal_types or "assignment" in self.deal_types

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
    abstract: str = ""
    #: a pending application (not granted yet): a candidate only when the demand accepts assignment
    pending: bool = False


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


def predicted_ipc(predicted: Sequence[tuple[str, float]], patent_codes: Iterable[str]) -> tuple[str | None, float, str | None]:
    """Agreement of a patent's codes with the predicted subclasses: (level, raw, the predicted code it meets)."""
    codes = [c for c in patent_codes if c]
    for rank, (subclass, _margin) in enumerate(predicted[: len(PREDICTED_RAW)]):
        if any(code.startswith(subclass) for code in codes):
            return "subclass", PREDICTED_RAW[rank], subclass
    for subclass, _margin in predicted[: len(PREDICTED_RAW)]:
        if any(code[:3] == subclass[:3] for code in codes):
            return "class", PREDICTED_CLASS_RAW, subclass
    return None, 0.0, None


def _money(value: Money | None) -> list | None:
    return None if value is None else [int(value.amount), value.currency]


def budget_fit(query: DemandQuery, offer: ListingOffer | None) -> tuple[float, dict]:
    """How the asking price sits against the demand's budget (codes and numbers; amounts in fen).

    Within budget (or cheaper) is a full fit; over budget decays linearly and reaches 0 at 50 % over.
    An unlisted patent has no price yet (0.5: it may still be negotiated), a listing marked 面议 0.6.
    """
    low, high = query.budget_min, query.budget_max
    bound = high or low
    currency = bound.currency if bound else None
    if offer is None:
        return 0.5, {"status": "unlisted", "ratio": None}
    price = _money(offer.price)
    if offer.price is None:
        return 0.6, {"status": "negotiable", "ratio": None}
    if currency is None:
        return 1.0, {"status": "no_budget", "ratio": None, "price": price}
    if offer.price.currency != currency:
        return 0.3, {"status": "currency_differs", "ratio": None, "price": price, "bound": _money(bound)}
    amount = offer.price.amount
    if high is not None and amount > high.amount:
        ratio = amount / high.amount if high.amount else float("inf")
        raw = max(0.0, 1.0 - 2.0 * (ratio - 1.0))
        return raw, {"status": "over", "ratio": round(ratio, 4) if ratio != float("inf") else None,
                     "price": price, "bound": _money(high)}
    if low is not None and amount < low.amount:
        ratio = amount / low.amount if low.amount else 0.0
        return 1.0, {"status": "below", "ratio": round(ratio, 4), "price": price, "bound": _money(low)}
    within_ratio = amount / high.amount if high is not None and high.amount else None
    return 1.0, {"status": "within", "ratio": round(within_ratio, 4) if within_ratio is not None else None,
                 "price": price, "bound": _money(high or low)}


def deal_type_fit(query: DemandQuery, offer: ListingOffer | None, *, pending: bool = False) -> tuple[float, dict]:
    """Whether the listing's deal type is one the demand accepts.

    An open licence is a non-exclusive licence anyone may take (Patent Law art. 50), so it fits a
    demand for a licence at 0.8; an unlisted patent is open to any deal (0.5); an unlisted pending
    application can only change hands by an assignment of the application right (art. 10), also 0.5.
    """
    if offer is None:
        if pending:
            return 0.5, {"status": "pending_assignable", "deal_type": "assignment"}
        return 0.5, {"status": "unlisted", "deal_type": None}
    if not query.deal_types or offer.deal_type in query.deal_types:
        return 1.0, {"status": "fits", "deal_type": offer.deal_type}
    if offer.deal_type == "open_licence" and "licence" in query.deal_types:
        return 0.8, {"status": "open_licence_for_licence", "deal_type": offer.deal_type}
    return 0.0, {"status": "mismatch", "deal_type": offer.deal_type}


def weights_for(query: DemandQuery, *, semantic: bool = False) -> dict[str, float]:
    """The weights that apply to this demand, rescaled to sum to 1 (``semantic``: a matching model exists)."""
    applicable = dict(WEIGHTS)
    if not query.ipc_codes and not query.predicted_codes:
        applicable.pop("ipc")
    if not query.industries and not query.zones:
        applicable.pop("field")
    if not query.text.strip():
        applicable.pop("text")
        applicable.pop("semantic")
    elif not semantic:
        applicable.pop("semantic")
    total = sum(applicable.values())
    return {name: weight / total for name, weight in applicable.items()}


def score_candidate(
    query: DemandQuery,
    candidate: Candidate,
    *,
    text_raw: float = 0.0,
    matched_terms: Sequence[str] | dict[str, float] = (),
    semantic_raw: float | None = None,
    weights: dict[str, float] | None = None,
) -> MatchResult:
    """Score one candidate; a listed patent is scored once per listing and its best listing kept.

    ``matched_terms``: the demand's words the patent holds (with their weights when a dict);
    ``semantic_raw``: the LSA cosine, None when there is no matching model."""
    weights = weights or weights_for(query, semantic=semantic_raw is not None)
    if query.ipc_codes:
        level, ipc_raw, ipc_pair = ipc_proximity(query.ipc_codes, candidate.ipc_codes)
        ipc_source = "declared"
        pair = list(ipc_pair) if ipc_pair else None
    elif query.predicted_codes:
        level, ipc_raw, met = predicted_ipc(query.predicted_codes, candidate.ipc_codes)
        ipc_source = "predicted"
        prefix = (met if level == "subclass" else met[:3]) if met else None
        pair = [met, next((c for c in candidate.ipc_codes if c.startswith(prefix)), "")] if met and prefix else None
    else:
        level, ipc_raw, pair, ipc_source = None, 0.0, None, None
    field_raw, field_detail = field_fit(query, candidate)
    term_weights = dict(matched_terms) if isinstance(matched_terms, dict) else {}
    terms = list(dict.fromkeys(matched_terms))
    offers: Sequence[ListingOffer | None] = candidate.listings or (None,)
    best: MatchResult | None = None
    for offer in offers:
        budget_raw, price_fit = budget_fit(query, offer)
        deal_raw, deal_fit = deal_type_fit(query, offer, pending=candidate.pending)
        raws = {
            "text": max(0.0, min(1.0, text_raw)),
            "semantic": max(0.0, min(1.0, semantic_raw or 0.0)),
            "ipc": ipc_raw,
            "field": field_raw,
            "budget": budget_raw,
            "deal_type": deal_raw,
        }
        parts: list[dict[str, Any]] = []
        for name, weight in weights.items():
            parts.append({"name": name, "weight": weight, "raw": raws[name], "contribution": weight * raws[name]})
        score = sum(part["contribution"] for part in parts)
        for part in parts:
            part["share"] = part["contribution"] / score if score > 0 else 0.0
        explanation = {
            "version": EXPLANATION_VERSION,
            "matched_terms": terms,
            "term_weights": term_weights,
            "semantic": None if semantic_raw is None else round(float(semantic_raw), 4),
            "ipc_level": level,
            "ipc_pair": pair,
            "ipc_source": ipc_source,
            "ipc_predicted": [[code, round(float(margin), 3)] for code, margin in query.predicted_codes],
            "price_fit": price_fit,
            "deal_type_fit": deal_fit,
            "field_fit": field_detail,
            "pending": candidate.pending,
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
