"""GET /api/search/patents, /api/search/autocomplete and the /search/ page, on real Patent rows."""
from __future__ import annotations

import pytest
from django.core.management import call_command

from listings.catalogue.models import IpcEntry
from tests.factories import IndustryFactory, PatentFactory, ZoneFactory

pytestmark = pytest.mark.django_db

URL = "/api/search/patents"


@pytest.fixture
def patents(django_capture_on_commit_callbacks):
    industry = IndustryFactory(code="I6", name_zh="光通信")
    zone = ZoneFactory(code="Z6", name_zh="武汉东湖", industry=industry)
    for code, level, parent, zh in (
        ("G", "section", None, "物理"),
        ("G02", "class", "G", "光学"),
        ("G02B", "subclass", "G02", "光学元件、系统或仪器"),
        ("G02B6/00", "main_group", "G02B", "光导；包含光导和其他光学元件的装置的结构零部件"),
    ):
        IpcEntry.objects.update_or_create(code=code, defaults={"level": level, "parent_id": parent, "title_zh": zh, "title_en": zh + " (en)"})
    with django_capture_on_commit_callbacks(execute=True):
        a = PatentFactory(title="一种光纤连接器", year=2020, ipc=("G02B6/38",), zones=(zone,), industries=(industry,),
                          applicants=["武汉光迅科技股份有限公司"], abstract="光纤连接器包括插芯与<套筒>。")
        b = PatentFactory(title="光纤传感器的解调装置", year=2020, ipc=("G01D5/353", "G02B6/02"),
                          kind="utility_model", legal_status="pending", applicants=["华中科技大学"])
        c = PatentFactory(title="锂电池的热管理系统", year=2020, ipc=("H01M10/613",), applicants=["华中科技大学"])
    return a, b, c


def test_search_returns_hits_highlights_total_and_every_facet(client, patents):
    a, b, c = patents
    response = client.get(URL, {"q": "光纤"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["page"] == 1 and body["page_size"] == 20
    assert {hit["id"] for hit in body["hits"]} == {a.id, b.id}
    hit = next(h for h in body["hits"] if h["id"] == a.id)
    assert "<mark>光纤</mark>" in hit["highlights"]["title"]
    assert "&lt;套筒&gt;" in hit["highlights"]["abstract"]
    assert set(body["facets"]) == {
        "ipc_section", "ipc_class", "ipc_subclass", "ipc_main_group", "zone", "industry", "applicant",
        "legal_status", "kind", "application_year",
    }
    subclasses = {f["value"]: f for f in body["facets"]["ipc_subclass"]}
    assert subclasses["G02B"]["count"] == 2 and subclasses["G02B"]["label"] == "光学元件、系统或仪器"
    assert {f["value"]: f["label"] for f in body["facets"]["zone"]} == {"Z6": "武汉东湖"}
    assert {f["value"]: f["label"] for f in body["facets"]["kind"]} == {"invention": "发明", "utility_model": "实用新型"}


def test_facet_counts_equal_filtered_totals_through_the_api(client, patents):
    body = client.get(URL, {"q": "光纤"}).json()
    param = {"ipc_section": "ipc", "ipc_class": "ipc", "ipc_subclass": "ipc", "ipc_main_group": "ipc", "zone": "zone",
             "industry": "industry", "applicant": "applicant", "legal_status": "status", "kind": "kind"}
    for name, values in body["facets"].items():
        for facet in values:
            if name == "application_year":
                params = {"year_from": facet["value"], "year_to": facet["value"]}
            else:
                params = {param[name]: facet["value"]}
            filtered = client.get(URL, {"q": "光纤", **params}).json()
            assert filtered["total"] == facet["count"], (name, facet)


def test_filters_and_sort(client, patents):
    a, b, c = patents
    assert [h["id"] for h in client.get(URL, {"applicant": "华中科技大学", "ipc": "H01M 10/613"}).json()["hits"]] == [c.id]
    assert [h["id"] for h in client.get(URL, {"q": "光纤", "status": "pending", "kind": "utility_model"}).json()["hits"]] == [b.id]
    assert client.get(URL, {"ipc": "G02B6/00", "year_from": 2020, "year_to": 2020}).json()["total"] == 2
    assert client.get(URL, {"sort": "oldest", "page_size": 1, "page": 3}).json()["hits"][0]["id"] in {a.id, b.id, c.id}


def test_english_titles_of_ipc_facets(client, patents):
    body = client.get(URL, {"q": "光纤"}, HTTP_ACCEPT_LANGUAGE="en").json()
    labels = {f["value"]: f["label"] for f in body["facets"]["ipc_subclass"]}
    assert labels["G02B"] == "光学元件、系统或仪器 (en)"


@pytest.mark.parametrize(
    "params, param",
    [
        ({"ipc": "Z99"}, "ipc"),
        ({"ipc": "H04B 10/"}, "ipc"),
        ({"year_from": "20x1"}, "year_from"),
        ({"year_from": "1200"}, "year_from"),
        ({"year_from": "2020", "year_to": "2010"}, "year_to"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "-5"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"sort": "rank; DROP TABLE"}, "sort"),
        ({"status": "alive"}, "status"),
        ({"kind": "petty"}, "kind"),
        ({"q": "光" * 10_000}, "q"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(client, patents, params, param):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["param"] == param


@pytest.mark.parametrize(
    "text",
    ['"unbalanced', "光纤 AND NOT (", "NEAR(光纤 传感器)", "光纤*", "title:光纤", "' OR 1=1; --",
     "'; DROP TABLE docs_a; --", "SELECT * FROM patents", "{title}: ^光纤", "-", "\"\"\"", "a" * 500],
)
def test_hostile_queries_answer_cleanly(client, patents, text):
    response = client.get(URL, {"q": text})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] >= 0 and isinstance(body["hits"], list)
    assert client.get(URL, {"q": "光纤"}).json()["total"] == 2  # the index is intact


def test_autocomplete(client, patents):
    titles = client.get("/api/search/autocomplete", {"q": "光纤"}).json()
    assert titles["field"] == "title" and "一种光纤连接器" in titles["suggestions"]
    applicants = client.get("/api/search/autocomplete", {"q": "华中", "field": "applicant"}).json()
    assert applicants["suggestions"] == ["华中科技大学"]
    assert client.get("/api/search/autocomplete", {"q": "x", "field": "inventor"}).json()["param"] == "field"
    assert client.get("/api/search/autocomplete", {"q": "x", "limit": "999"}).status_code == 400
    assert client.get("/api/search/autocomplete", {"q": ""}).json()["suggestions"] == []


def test_openapi_schema_documents_the_search_endpoint(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/search/patents"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"q", "ipc", "zone", "industry", "applicant", "status", "kind", "listed", "year_from", "year_to", "sort", "page",
                     "page_size"}
    assert set(operation["responses"]) == {"200", "400"}
    assert "/api/search/autocomplete" in schema["paths"]


def test_search_page_shows_hits_facets_and_ipc_drilldown(client, patents):
    response = client.get("/search/", {"q": "光纤"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>光纤</mark>" in html
    assert "共 2 件专利" in html
    assert "?q=%E5%85%89%E7%BA%A4&amp;ipc=G" in html  # the section level links down
    drilled = client.get("/search/", {"q": "光纤", "ipc": "G02B"}).content.decode()
    assert "G02B6/00" in drilled and "光导" in drilled  # main groups with their Chinese titles
    assert "光学元件、系统或仪器" in drilled  # the selected path keeps its title


def test_search_page_reports_bad_parameters(client, patents):
    response = client.get("/search/", {"page_size": "1000"})
    assert response.status_code == 400
    assert "page_size" in response.content.decode()


def test_rebuild_index_command(patents, capsys):
    from search import get_search_backend

    get_search_backend().rebuild([])
    assert get_search_backend().count() == 0
    call_command("rebuild_index", "--if-empty", "--no-progress")
    assert get_search_backend().count() == 3
    call_command("rebuild_index", "--if-empty", "--no-progress")
    assert "already holds 3" in capsys.readouterr().out


def test_api_reports_partial_matches_suggestions_numbers_and_ipc_from_the_query(client, patents):
    a, b, c = patents
    body = client.get(URL, {"q": a.publication_number}).json()
    assert body["hits"][0]["id"] == a.id and body["numbers_found"] == [a.id]
    body = client.get(URL, {"q": "G02B 光纤"}).json()
    assert body["ipc_from_query"] == "G02B" and {h["id"] for h in body["hits"]} == {a.id, b.id}
    body = client.get(URL, {"q": "光纤连接器温度补偿"}).json()
    assert body["partial"] is True and body["hits"][0]["id"] == a.id
    body = client.get(URL, {"q": "光纤", "applicant": "华中科技大学", "kind": "invention"}).json()
    assert body["total"] == 0
    widen = [s for s in body["suggestions"] if s["kind"] == "widen"]
    assert widen and widen[0]["total"] > 0 and set(widen[0]["params"].values()) == {""}


def test_openapi_schema_documents_partial_and_suggestions(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    props = schema["components"]["schemas"]["SearchResponse"]["properties"]
    assert {"partial", "suggestions", "suggested_fields", "ipc_from_query", "numbers_found", "words"} <= set(props)


def test_search_page_shows_partial_flag_and_suggestions(client, patents):
    html = client.get("/search/", {"q": "光纤连接器温度补偿"}).content.decode()
    assert "部分匹配" in html
    html = client.get("/search/", {"q": "光纤", "applicant": "华中科技大学", "kind": "invention"}).content.decode()
    assert 'data-kind="widen"' in html


@pytest.mark.parametrize("text", ["H0", "/", "H01M/", "CN 2020-1-0486123.4", "混合 mixed 文字 123-456 H01M 10/"])
def test_odd_queries_answer_200(client, patents, text):
    assert client.get(URL, {"q": text}).status_code == 200
