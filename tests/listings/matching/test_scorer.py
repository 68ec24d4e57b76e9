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
    # codes and numbers only: no stored sentence; the amounts are fen with their currency
    assert "text" not in detail
    if price is not None:
        assert detail["price"] == [price.amount, "CNY"]


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
    result = score_candidate(QUERY, candidate, text_raw=0.7, matched_terms=["传感器", "低功耗", "传感器"], semantic_raw=0.4)
    parts = result.explanation["parts"]
    assert {p["name"] for p in parts} == set(WEIGHTS)
    assert result.explanation["semantic"] == 0.4
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


def test_without_a_matching_model_the_semantic_part_is_left_out():
    result = score_candidate(QUERY, Candidate(patent_id=1, ipc_codes=("H04W84/12",)), text_raw=0.5)
    assert "semantic" not in {p["name"] for p in result.explanation["parts"]}
    assert result.explanation["semantic"] is None


def test_stored_explanation_holds_codes_and_numbers_only():
    candidate = Candidate(patent_id=1, ipc_codes=("H04W84/12",),
                          listings=(ListingOffer(id=2, deal_type="licence", price=cny(120_000)),))
    query = DemandQuery(text="x", ipc_codes=("H04W",), budget_max=cny(100_000), deal_types=("assignment",))
    explanation = score_candidate(query, candidate, text_raw=0.5, semantic_raw=0.2).explanation

    def strings(value):
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)
        elif isinstance(value, str):
            yield value

    # no Chinese sentence anywhere (matched words would be data, there are none here), no "label"/"text" keys
    assert not any("\u4e00" <= ch <= "\u9fff" for text in strings(explanation) for ch in text)
    assert all("label" not in part for part in explanation["parts"])
    assert explanation["deal_type_fit"] == {"status": "mismatch", "deal_type": "licence"}
    assert explanation["price_fit"]["bound"] == [cny(100_000).amount, "CNY"]
    assert explanation["version"] == 2


def test_predicted_fields_give_an_ipc_part_by_rank():
    query = DemandQuery(text="光伏板自动清洗", predicted_codes=(("H02S", 1.2), ("B08B", 0.4), ("F24S", 0.1)))
    assert "ipc" in weights_for(query)
    first = score_candidate(query, Candidate(patent_id=1, ipc_codes=("H02S40/10",)))
    second = score_candidate(query, Candidate(patent_id=2, ipc_codes=("B08B1/00",)))
    same_class = score_candidate(query, Candidate(patent_id=3, ipc_codes=("H02J7/35",)))
    elsewhere = score_candidate(query, Candidate(patent_id=4, ipc_codes=("A01G25/00",)))
    raw = {r.patent_id: next(p["raw"] for p in r.explanation["parts"] if p["name"] == "ipc")
           for r in (first, second, same_class, elsewhere)}
    assert raw == {1: 1.0, 2: 0.75, 3: 0.3, 4: 0.0}
    assert first.explanation["ipc_source"] == "predicted"
    assert first.explanation["ipc_pair"] == ["H02S", "H02S40/10"]


def test_an_unlisted_pending_application_fits_by_assignment():
    query = DemandQuery(text="x", deal_types=("assignment",))
    result = score_candidate(query, Candidate(patent_id=1, pending=True, in_force=False))
    assert result.explanation["deal_type_fit"] == {"status": "pending_assignable", "deal_type": "assignment"}
    assert result.explanation["pending"] is True
    assert DemandQuery(text="x", deal_types=("licence",)).accepts_assignment is False
    assert DemandQuery(text="x").accepts_assignment is True
