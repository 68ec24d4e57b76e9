"""Facet labels come from the per-process catalogue names (``listings.catalogue.labels``): the same labels the
catalogue queries gave, no catalogue query once warm, and a change to an IPC title, zone or industry is seen."""
from __future__ import annotations

import pytest
from django.utils import translation

from listings.catalogue import labels as catalogue_labels
from listings.catalogue.models import Industry, IpcEntry, Zone
from listings.catalogue.services.ipc_scheme import ipc_scheme_load
from search.interface import FacetValue, SearchFilters, SearchResult
from search.presentation import facet_labels, ipc_drilldown
from tests.factories import IndustryFactory, IpcEntryFactory, ZoneFactory

pytestmark = pytest.mark.django_db


def _facets() -> dict[str, list[FacetValue]]:
    return {
        "ipc_section": [FacetValue("H", 3), FacetValue("C", 1)],
        "ipc_class": [FacetValue("H04", 3)],
        "ipc_subclass": [FacetValue("H04W", 2), FacetValue("Z99Z", 1)],  # Z99Z: no such entry
        "ipc_main_group": [FacetValue("H04W4/00", 2)],
        # asked in the reverse of the models' order; ZX: no such zone
        "zone": [FacetValue("Z8", 1), FacetValue("ZX", 1), FacetValue("Z1", 3)],
        "industry": [FacetValue("Z8", 1), FacetValue("Z1", 3)],
        "legal_status": [FacetValue("valid", 2)],
    }


@pytest.fixture
def catalogue():
    IpcEntryFactory(code="H", title_zh="电学", title_en="ELECTRICITY")
    IpcEntryFactory(code="C", title_zh="化学；冶金", title_en="")  # no English title: the visible fallback
    IpcEntryFactory(code="H04", title_zh="电通信技术", title_en="ELECTRIC COMMUNICATION TECHNIQUE")
    IpcEntryFactory(code="H04W", title_zh="无线通信网络", title_en="Wireless communication networks")
    IpcEntryFactory(code="H04W4/00", title_zh="专门适用于无线通信网络的业务", title_en="Services for wireless networks")
    IpcEntryFactory(code="H04W4/02", title_zh="利用位置信息", title_en="Using location information")
    mobile = IndustryFactory(code="Z1", name_zh="移动互联网", name_en="Mobile internet")
    titanium = IndustryFactory(code="Z8", name_zh="钛产业", name_en="")
    ZoneFactory(code="Z1", slug="zgc", name_zh="中关村科技园区", name_en="Zhongguancun", industry=mobile, position=1)
    ZoneFactory(code="Z8", slug="baoji", name_zh="宝鸡高新区", name_en="Baoji", industry=titanium, position=8)
    return {"mobile": mobile, "titanium": titanium}


def _labels_from_the_tables(facets) -> dict[str, dict[str, str]]:
    """What ``facet_labels`` answered when it queried the catalogue on every call (the reference)."""
    from search.facets import IPC_FACETS, REGISTRY

    labels: dict[str, dict[str, str]] = {name: {} for name in facets}
    codes = {fv.value for name in IPC_FACETS for fv in facets.get(name, ())}
    titles = {e.code: e.title for e in IpcEntry.objects.filter(code__in=codes)}
    for name in IPC_FACETS:
        labels[name] = {fv.value: titles.get(fv.value, "") for fv in facets.get(name, ())}
    for facet in REGISTRY:
        values = [fv.value for fv in facets.get(facet.name, ())]
        if facet.titles in ("zone", "industry"):
            model = Zone if facet.titles == "zone" else Industry
            labels[facet.name] = {o.code: o.name for o in model.objects.filter(code__in=values)}
        elif facet.titles == "choices" and facet.choices is not None:
            names = dict(facet.choices())
            labels[facet.name] = {v: str(names.get(v, v)) for v in values}
    return labels


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_labels_are_those_of_the_catalogue_tables(catalogue, language):
    facets = _facets()
    with translation.override(language):
        got = facet_labels(facets)
        want = _labels_from_the_tables(facets)
    assert got == want
    assert {name: list(values.items()) for name, values in got.items()} == {
        name: list(values.items()) for name, values in want.items()
    }  # the same order too (the API's JSON keeps it)
    if language == "en":
        assert got["ipc_section"] == {"H": "ELECTRICITY", "C": "化学；冶金 (Chinese title only)"}
        assert got["zone"] == {"Z1": "Zhongguancun", "Z8": "Baoji"}
    else:
        assert got["ipc_subclass"] == {"H04W": "无线通信网络", "Z99Z": ""}
        assert got["industry"] == {"Z1": "移动互联网", "Z8": "钛产业"}


def test_a_warm_process_labels_facets_without_a_query(catalogue, django_assert_num_queries):
    facets = _facets()
    with translation.override("zh-hans"):
        first = facet_labels(facets)
        with django_assert_num_queries(0):
            assert facet_labels(facets) == first
    with translation.override("en"), django_assert_num_queries(0):  # the other language is built from the same rows
        assert facet_labels(facets)["industry"] == {"Z1": "Mobile internet", "Z8": "钛产业 (Chinese title only)"}


def test_the_drilldown_titles_a_selected_code_missing_from_the_labels_without_a_query(catalogue, django_assert_num_queries):
    result = SearchResult(total=2, hits=[], facets={"ipc_subgroup": []})
    facet_labels(_facets())
    with translation.override("zh-hans"), django_assert_num_queries(0):
        drill = ipc_drilldown(result, SearchFilters(ipc="H04W4/02"), labels={})
    assert [(p["code"], p["title"]) for p in drill["path"]] == [
        ("H", "电学"), ("H04", "电通信技术"), ("H04W", "无线通信网络"), ("H04W4/00", "专门适用于无线通信网络的业务"),
    ]


def test_an_industry_renamed_in_the_admin_is_seen_on_the_next_search(catalogue):
    facets = _facets()
    with translation.override("zh-hans"):
        assert facet_labels(facets)["industry"]["Z1"] == "移动互联网"
        industry = catalogue["mobile"]
        industry.name_zh = "新一代移动互联网"
        industry.save()
        assert facet_labels(facets)["industry"]["Z1"] == "新一代移动互联网"
        ZoneFactory(code="ZX", slug="zx", name_zh="新实验区", industry=industry, position=9)
        assert facet_labels(facets)["zone"] == {"Z1": "中关村科技园区", "Z8": "宝鸡高新区", "ZX": "新实验区"}
        Zone.objects.get(code="ZX").delete()
        assert "ZX" not in facet_labels(facets)["zone"]


def test_a_generation_bumped_by_another_process_is_seen(catalogue):
    """A write that sends no signal here is not seen until the shared generation moves, as another process's
    save would move it; then it is."""
    facets = _facets()
    with translation.override("zh-hans"):
        assert facet_labels(facets)["industry"]["Z8"] == "钛产业"
        Industry.objects.filter(code="Z8").update(name_zh="钛及钛合金产业")  # no signal
        assert facet_labels(facets)["industry"]["Z8"] == "钛产业"  # the process's snapshot
        catalogue_labels.invalidate()
        assert facet_labels(facets)["industry"]["Z8"] == "钛及钛合金产业"


def test_a_save_retires_the_snapshot_again_when_it_commits(catalogue, django_capture_on_commit_callbacks):
    before = catalogue_labels.generation()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        catalogue["titanium"].save()
    during = catalogue_labels.generation()
    assert during != before
    for callback in callbacks:
        callback()
    assert catalogue_labels.generation() not in (before, during)


def test_the_ipc_scheme_loader_writing_in_bulk_retires_the_snapshot(catalogue, tmp_path):
    facets = _facets()
    with translation.override("zh-hans"):
        assert facet_labels(facets)["ipc_class"] == {"H04": "电通信技术"}
        scheme = tmp_path / "scheme.csv"
        scheme.write_text(
            "code,level,parent,title_zh,title_en\nH04,class,H,电通信技术（新版）,ELECTRIC COMMUNICATION TECHNIQUE\n",
            encoding="utf-8",
        )
        assert ipc_scheme_load(path=scheme).updated == 1
        assert facet_labels(facets)["ipc_class"] == {"H04": "电通信技术（新版）"}
