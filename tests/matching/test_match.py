"""``match``: candidates through the search interface and IPC neighbours, then re-ranked."""
from __future__ import annotations

import pytest

from listings.matching import DemandQuery, match
from listings.models import LegalStatus

from .factories import IndustryFactory, PatentFactory, ZoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(memory_search, index_all):
    industry = IndustryFactory(code="Z4IND")
    zone = ZoneFactory(code="Z4", industry=industry)
    patents = {
        "exact": PatentFactory(title="低功耗无线传感器网络节点", abstract="一种低功耗无线传感器网络节点的休眠调度方法",
                               ipc=["H04W84/18"], industries=[industry], zones=[zone]),
        "same_words_far_ipc": PatentFactory(title="无线传感器网络在农业灌溉中的应用", ipc=["A01G25/00"]),
        "neighbour_no_words": PatentFactory(title="自组织路由协议的分簇算法", ipc=["H04W84/18"]),
        "unrelated": PatentFactory(title="超硬材料刀具的烧结工艺", ipc=["B22F3/00"]),
        "lapsed": PatentFactory(title="低功耗无线传感器网络节点", ipc=["H04W84/18"], legal_status=LegalStatus.LAPSED),
    }
    index_all()
    return patents


def test_best_match_first_with_explanation(corpus):
    query = DemandQuery(text="低功耗无线传感器网络", ipc_codes=("H04W84/18",), industries=("Z4IND",), zones=("Z4",))
    results = match(query)
    ids = [r.patent_id for r in results]
    assert ids[0] == corpus["exact"].pk
    top = results[0]
    assert top.explanation["ipc_level"] == "main_group"
    assert {"无线", "传感器", "低功耗"} <= set(top.explanation["matched_terms"])
    assert sum(p["contribution"] for p in top.explanation["parts"]) == pytest.approx(top.score)


def test_ipc_neighbour_without_shared_words_is_a_candidate(corpus):
    results = match(DemandQuery(text="低功耗无线传感器网络", ipc_codes=("H04W84/18",)))
    neighbour = next(r for r in results if r.patent_id == corpus["neighbour_no_words"].pk)
    assert neighbour.explanation["matched_terms"] == []
    assert neighbour.explanation["ipc_level"] == "main_group"


def test_ipc_proximity_reorders_text_hits(corpus):
    results = match(DemandQuery(text="无线传感器网络", ipc_codes=("H04W84/18",)))
    ids = [r.patent_id for r in results]
    assert ids.index(corpus["exact"].pk) < ids.index(corpus["same_words_far_ipc"].pk)


def test_patents_out_of_force_and_unrelated_are_not_matched(corpus):
    ids = {r.patent_id for r in match(DemandQuery(text="低功耗无线传感器网络", ipc_codes=("H04W84/18",)))}
    assert corpus["lapsed"].pk not in ids
    assert corpus["unrelated"].pk not in ids


def test_limit(corpus):
    assert len(match(DemandQuery(text="无线传感器网络"), limit=1)) == 1
