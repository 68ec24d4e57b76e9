"""Every industry has an English name and a group; a missing title falls back visibly; the IPC lookup of the pickers."""
from __future__ import annotations

import csv

import pytest
from django.utils import translation

from listings.catalogue.fixtures_data.sei2021_en import SEI2021_CATEGORIES_EN, SEI2021_INDUSTRIES_EN
from listings.catalogue.models import FALLBACK_MARK_EN, FALLBACK_MARK_ZH, Industry
from listings.catalogue.selectors import industry_groups
from listings.catalogue.services.zone_directory import zone_directory_load
from tests.factories import IndustryFactory, IpcEntryFactory

pytestmark = pytest.mark.django_db


def test_the_english_names_cover_the_whole_sei_table(shared_data):
    with open(shared_data / "sei2021_industries.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {row["sei_code"] for row in rows} == set(SEI2021_INDUSTRIES_EN)
    assert {row["sei_category_code"] for row in rows} == set(SEI2021_CATEGORIES_EN)


def test_every_loaded_industry_has_an_english_name_and_group(shared_data):
    zone_directory_load(data_dir=shared_data)
    assert Industry.objects.count() == 48
    assert not Industry.objects.filter(name_en="").exists()
    with translation.override("en"):
        groups = industry_groups()
        assert groups[0][0] == "Leading industries of the patent-navigation experimental zones"
        assert [len(members) for _g, members in groups] == [8, 5, 5, 7, 5, 4, 5, 3, 4, 2]
        assert groups[1][0] == "Next-generation information technology"
        assert groups[1][1][0].name == "Next-generation information networks"
        assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in m.name) for _g, ms in groups for m in ms)
    with translation.override("zh-hans"):
        assert industry_groups()[1][0] == "1 新一代信息技术产业"


def test_a_missing_title_falls_back_visibly():
    IndustryFactory(code="X1", name_zh="某新产业", name_en="")
    entry = IpcEntryFactory(code="C01C", title_zh="", title_en="Ammonia; cyanogen; compounds thereof")
    zh_only = IpcEntryFactory(code="G06V", title_zh="图像或视频识别或理解", title_en="")
    industry = Industry.objects.get(code="X1")
    with translation.override("en"):
        assert industry.name == f"某新产业{FALLBACK_MARK_EN}"
        assert zh_only.title == f"图像或视频识别或理解{FALLBACK_MARK_EN}"
        assert entry.title == "Ammonia; cyanogen; compounds thereof"
    with translation.override("zh-hans"):
        assert industry.name == "某新产业"
        assert entry.title == f"Ammonia; cyanogen; compounds thereof{FALLBACK_MARK_ZH}"


@pytest.fixture
def scheme():
    for code, zh, en in [
        ("H", "电学", "Electricity"), ("H04", "电通信技术", "Electric communication technique"),
        ("H04W", "无线通信网络", "Wireless communication networks"),
        ("H04W4/00", "专门适用于无线通信网络的业务", "Services specially adapted for wireless communication networks"),
        ("H04W4/02", "利用位置信息的业务", "Services making use of location information"),
        ("H04W40/00", "通信路由或通信路径查找", "Communication routing or communication path finding"),
        ("H04B", "传输", "Transmission"), ("H04B10/25", "光纤传输", "Optical fibre transmission"),
    ]:
        IpcEntryFactory(code=code, title_zh=zh, title_en=en)


def _lookup(client, **params):
    return client.get("/api/ipc/lookup/", params)


def test_lookup_by_code_prefix_broader_levels_first(client, scheme):
    codes = [r["code"] for r in _lookup(client, q="h04w").json()["results"]]
    assert codes == ["H04W", "H04W4/00", "H04W40/00", "H04W4/02"]  # main groups before subgroups
    # "H04W 4" is main group 4 and its subgroups, not H04W40
    assert [r["code"] for r in _lookup(client, q="H04W 4").json()["results"]] == ["H04W4/00", "H04W4/02"]


def test_lookup_by_chinese_or_english_words(client, scheme):
    found = _lookup(client, q="位置").json()["results"]
    assert [r["code"] for r in found] == ["H04W4/02"] and found[0]["title"] == "利用位置信息的业务"
    assert [r["code"] for r in _lookup(client, q="optical fibre").json()["results"]] == ["H04B10/25"]
    assert [r["code"] for r in _lookup(client, q="无线 业务").json()["results"]] == ["H04W4/00"]
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert _lookup(client, q="位置").json()["results"][0]["title"] == "Services making use of location information"


@pytest.mark.parametrize("params, field", [
    ({"q": ""}, "q"), ({"q": "x" * 51}, "q"), ({"q": "a b c d e f"}, "q"),
    ({"q": "H04", "limit": "0"}, "limit"), ({"q": "H04", "limit": "31"}, "limit"), ({"q": "H04", "limit": "x"}, "limit"),
    ({"q": "H04", "limit": "²"}, "limit"), ({"q": "位\x00置"}, "q"),
])
def test_lookup_refuses_bad_input_naming_the_parameter(client, scheme, params, field):
    response = _lookup(client, **params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_lookup_limit(client, scheme):
    assert len(_lookup(client, q="H", limit="3").json()["results"]) == 3
