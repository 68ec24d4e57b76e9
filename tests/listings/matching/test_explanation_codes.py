"""Stored match explanations hold codes and numbers; the wording is rendered when shown, in the reader's
language. Format-1 rows (bilingual sentences) are migrated forward by listings/migrations/0011."""
from __future__ import annotations

import importlib
from types import SimpleNamespace

from django.utils import translation

from listings.matching import presentation

migration = importlib.import_module("listings.migrations.0011_matching_explanation_codes")

V1 = {
    "matched_terms": ["传感器"],
    "ipc_level": "main_group",
    "ipc_pair": ["H04W84/18", "H04W84/12"],
    "price_fit": {"status": "over", "ratio": 1.2, "text": "报价 ¥120,000.00 超出预算上限 ¥100,000.00 20% / over budget"},
    "deal_type_fit": {"status": "fits", "text": "许可 符合需求 / fits"},
    "field_fit": {"industries": ["I1"]},
    "parts": [{"name": "text", "label": "文本相关度 text relevance", "weight": 0.5, "raw": 0.8, "contribution": 0.4,
               "share": 0.6}],
}


def test_format_1_is_migrated_to_codes_and_numbers():
    listing = SimpleNamespace(price_amount=12_000_000, price_currency="CNY", deal_type="licence")
    demand = SimpleNamespace(budget_min=None, budget_max=10_000_000, currency="CNY")
    v2 = migration.to_codes(V1, listing=listing, demand=demand)
    assert v2["version"] == 2
    assert v2["price_fit"] == {"status": "over", "ratio": 1.2, "price": [12_000_000, "CNY"], "bound": [10_000_000, "CNY"]}
    assert v2["deal_type_fit"] == {"status": "fits", "deal_type": "licence"}
    assert all("label" not in part for part in v2["parts"])
    assert v2["ipc_source"] == "declared" and v2["semantic"] is None
    # idempotent: a format-2 row is left as it is
    assert migration.to_codes(v2, listing=listing, demand=demand) is v2


def test_the_wording_follows_the_language():
    v2 = migration.to_codes(V1, listing=SimpleNamespace(price_amount=12_000_000, price_currency="CNY", deal_type="licence"),
                            demand=SimpleNamespace(budget_min=None, budget_max=10_000_000, currency="CNY"))
    with translation.override("zh-hans"):
        zh = dict(presentation.reasons(v2))
        assert zh["价格"].startswith("报价超出预算上限") and "¥120,000.00" in zh["价格"] and "20%" in zh["价格"]
        assert presentation.part_label("semantic") == "语义相似度"
    with translation.override("en"):
        en = presentation.reasons(v2)
        words = " ".join(text for _, text in en)
        assert "asking price above the budget" in words and "¥120,000.00" in words and "20% over" in words
        assert "latent semantic" not in words and "no matching model" in words
        assert not any("\u4e00" <= ch <= "\u9fff" for what, _ in en for ch in what)
