"""The pure scorer: parts, their order, and an explanation that adds up."""
from __future__ import annotations

import pytest

from listings.catalogue.identifiers import IdentifierError
from listings.matching.scorer import (
    WEIGHTS,
    Candidate,
    DemandQuery,
    ListingOffer,
    budget_fit,
    deal_type_fit,
    ipc_proximity,
    score_candidate,
    weights_for,
)
from marketplace.kernel.money import Money

QUERY = DemandQuery(text="无线传感器网络 低功耗", ipc_codes=("H04W 84/18",), industries=("I1",), zones=("Z4",))


def cny(yuan: int) -> Money:
    return Money(yuan * 100, "CNY")


@pytest.mark.parametrize(
    ("patent_code", "level"),
    [
        ("H04W84/20", "main_group"),
        ("H04W4/80", "subclass"),
        ("H04B10/25", "class"),
        ("H01L21/00", "section"),
        ("A61K31/00", None),
    ],
)
def test_ipc_level_reported(patent_code, level):
    assert ipc_proximity(QUERY.ipc_codes, [patent_code])[0] == level


def test_ipc_proximity_orders_main_group_over_subclass_over_class_over_section():
    def score(code):
        return score_candidate(QUERY, Candidate(patent_id=1, ipc_codes=(code,))).score

    scores = [score(c) for c in ("H04W84/20", "H04W4/80", "H04B10/25", "H01L21/00", "A61K31/00")]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 5


def test_ipc_takes_the_deepest_pair_over_all_codes():
    level, _, pair = ipc_proximity(["G06F16/00", "H04W84/18"], ["H04B1/00", "H04W84/10"])
    assert level == "main_group"
    assert pair == ("H04W84/18", "H04W84/10")


def test_subclass_level_demand_code_matches_at_subclass():
    assert ipc_proximity(["H04W"], ["H04W84/10"])[0] == "subclass"


@pytest.mark.parametrize(
    ("price", "status", "raw"),
    [
        (cny(80_000), "within", 1.0),
        (cny(10_000), "below", 1.0),
        (cny(120_000), "over", 0.6),
        (cny(200_000), "over", 0.0),
        (None, "negotiable", 0.6),
    ],
)
def test_budget_fit(price, status, raw):
    query = DemandQuery(text="x", budget_min=cny(50_000), budget_max=cny(100_000))
    value, detail = budget_fit(query, ListingOffer(id=1, deal_type="assignment", price=price))
    assert detail["status"] == status
    assert value == pytest.approx(raw)
    assert detail["text"]


def test_budget_ratio_is_price_over_budget_ceiling():
    query = DemandQuery(text="x", budget_max=cny(100_000))
    _, detail = budget_fit(query, ListingOffer(id=1, deal_type="licence", price=cny(120_000)))
    assert detail["ratio"] == pytest.approx(1.2)


def test_budget_unlisted_and_currency_mismatch():
    query = DemandQuery(text="x", budget_max=cny(100))
    assert budget_fit(query, None)[1]["status"] == "unlisted"
    value, detail = budget_fit(query, ListingOffer(id=1, deal_type="licence", price=Money(100, "USD")))
    assert detail["status"] == "currency_differs" and value < 0.5


def test_cheaper_listing_ranks_over_listing_over_budget():
    query = DemandQuery(text="x", budget_max=cny(100_000))
    within = Candidate(patent_id=1, listings=(ListingOffer(id=1, deal_type="assignment", price=cny(90_000)),))
    over = Candidate(patent_id=2, listings=(ListingOffer(id=2, deal_type="assignment", price=cny(130_000)),))
    assert score_candidate(query, within).score > score_candidate(query, over).score


@pytest.mark.parametrize(
    ("wanted", "offered", "raw"),
    [
        (("licence",), "licence", 1.0),
        (("licence",), "open_licence", 0.8),
        (("assignment",), "licence", 0.0),
        ((), "assignment", 1.0),
    ],
)
def test_deal_type_fit(wanted, offered, raw):
    query = DemandQuery(text="x", deal_types=wanted)
    assert deal_type_fit(query, ListingOffer(id=1, deal_type=offered, price=None))[0] == raw


def test_best_listing_of_a_patent_is_kept():
    query = DemandQuery(text="x", deal_types=("licence",))
    candidate = Candidate(
        patent_id=1,
        listings=(
            ListingOffer(id=7, deal_type="assignment", price=None),
            ListingOffer(id=8, deal_type="licence", price=None),
        ),
    )
    result = score_candidate(query, candidate)
    assert result.listing_id == 8
    assert result.explanation["deal_type_fit"]["status"] == "fits"


def test_explanation_parts_sum_to_score_and_shares_to_one():
    candidate = Candidate(
        patent_id=3,
        ipc_codes=("H04W84/12",),
        industries=("I1",),
        zones=("Z9",),
        listings=(ListingOffer(id=4, deal_type="licence", price=cny(1_000)),),
    )
    result = score_candidate(QUERY, candidate, text_raw=0.7, matched_terms=["传感器", "低功耗", "传感器"])
    parts = result.explanation["parts"]
    assert {p["name"] for p in parts} == set(WEIGHTS)
    assert sum(p["contribution"] for p in parts) == pytest.approx(result.score)
    assert sum(p["share"] for p in parts) == pytest.approx(1.0)
    assert sum(p["weight"] for p in parts) == pytest.approx(1.0)
    for part in parts:
        assert part["contribution"] == pytest.approx(part["weight"] * part["raw"])
    assert result.explanation["matched_terms"] == ["传感器", "低功耗"]
    assert result.explanation["ipc_level"] == "main_group"
    assert result.explanation["price_fit"]["status"] == "no_budget"
    # the industry is shared, the zone is not: half the field part
    assert next(p for p in parts if p["name"] == "field")["raw"] == 0.5


def test_parts_the_demand_does_not_name_are_left_out_and_weights_rescaled():
    weights = weights_for(DemandQuery(text="x"))
    assert set(weights) == {"text", "budget", "deal_type"}
    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights["text"] / weights["budget"] == pytest.approx(WEIGHTS["text"] / WEIGHTS["budget"])


def test_query_normalises_ipc_and_names_bad_fields():
    assert DemandQuery(text="x", ipc_codes=("h04w 84/18", "H04W84/18")).ipc_codes == ("H04W84/18",)
    with pytest.raises(IdentifierError, match="ipc_codes"):
        DemandQuery(text="x", ipc_codes=("not-ipc",))
    with pytest.raises(ValueError, match="deal_types"):
        DemandQuery(text="x", deal_types=("barter",))
    with pytest.raises(ValueError, match="budget_max"):
        DemandQuery(text="x", budget_min=cny(10), budget_max=cny(5))
