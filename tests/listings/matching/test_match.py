"""``match``: candidates through the search interface and IPC neighbours, then re-ranked."""
from __future__ import annotations

import pytest

from listings.catalogue.models import LegalStatus
from listings.matching.candidates import match
from listings.matching.scorer import DemandQuery
from tests.factories import IndustryFactory, ListingFactory, PatentFactory, ZoneFactory

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


def test_listed_pending_application_is_a_candidate_with_its_listing(memory_search, index_all):
    pending = PatentFactory(title="钛合金骨科植入物表面处理", ipc=["A61L27/06"], legal_status=LegalStatus.PENDING)
    unlisted_pending = PatentFactory(title="钛合金骨科植入物表面处理工艺", ipc=["A61L27/06"],
                                     legal_status=LegalStatus.PENDING)
    listing = ListingFactory(patents=[pending], deal_type="licence", price_amount=100_000_00)
    index_all()
    results = match(DemandQuery(text="钛合金骨科植入物", ipc_codes=("A61L27/00",), deal_types=("licence",)))
    [hit] = [r for r in results if r.patent_id == pending.pk]
    assert hit.listing_id == listing.pk
    assert hit.explanation["deal_type_fit"]["status"] == "fits"
    assert unlisted_pending.pk not in {r.patent_id for r in results}


def test_match_through_the_configured_embedded_engine(settings, index_all):
    """The same pipeline on the project's embedded FTS5 engine (the default backend)."""
    from search import reset_search_backends

    settings.SEARCH_BACKEND = "search.backends.embedded"
    reset_search_backends()
    target = PatentFactory(title="低功耗无线传感器网络节点", abstract="一种低功耗无线传感器网络节点的休眠调度方法",
                           ipc=["H04W84/18"])
    PatentFactory(title="超硬材料刀具的烧结工艺", ipc=["B22F3/00"])
    PatentFactory(title="无线传感器在农业灌溉中的应用", ipc=["A01G25/00"])
    index_all()
    results = match(DemandQuery(text="低功耗无线传感器网络", ipc_codes=("H04W84/18",)))
    assert results[0].patent_id == target.pk
    assert results[0].explanation["matched_terms"]
    assert results[0].explanation["ipc_level"] == "main_group"


class _BlindMoreLikeThis:
    """Delegates to the memory engine but, like more-like-this over generic titles, never returns the
    one patent whose distinctive words are single characters the term picker drops."""

    def __init__(self, inner, hidden_id):
        self.inner, self.hidden_id = inner, hidden_id

    def more_like_this(self, **kwargs):
        return [h for h in self.inner.more_like_this(**kwargs) if h.id != self.hidden_id]

    def search(self, query):
        return self.inner.search(query)


def test_a_patent_matching_every_demand_term_in_the_field_is_found_even_when_more_like_this_misses_it(
    memory_search, index_all
):
    target = PatentFactory(title="数据存储方法、数据回滚方法、计算机设备和存储介质", ipc=["G06F16/00"])
    for _n, prefix in enumerate(["页面生成", "信息推荐", "网络监控", "接口文档生成", "数据存证"]):
        PatentFactory(title=f"{prefix}方法、装置、计算机设备及存储介质", ipc=["G06F16/00"])
    index_all()
    backend = _BlindMoreLikeThis(memory_search, target.pk)
    query = DemandQuery(text="数据存储方法、数据回滚方法、计算机设备和存储介质", ipc_codes=("G06F",))

    results = match(query, backend=backend)

    assert results[0].patent_id == target.pk
    assert results[0].explanation["ipc_level"] == "subclass"
    # without an IPC field the full-match channel is not used: the matcher adds it only inside the field
    assert target.pk not in {r.patent_id for r in match(DemandQuery(text=query.text), backend=backend)}
