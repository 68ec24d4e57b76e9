"""What the Elasticsearch engine sends, pinned exactly: mappings and analysis, each kind of search, the
aggregations, bulk indexing and the alias swap. No server is needed: the real ``Elasticsearch`` client runs
over a recording node that answers with canned responses, so the bytes on the wire are what is checked.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
from elastic_transport._node._base import NodeApiResponse
from elasticsearch import Elasticsearch

import search
from search.analysis import CJK_STOPWORDS, EN_STOPWORDS
from search.backends.elasticsearch import Backend
from search.interface import FACETS, SearchFilters, SearchQuery
from search.understanding import QUERY_EN_STOPWORDS, QUERY_STOPWORDS
from tests.factories import corpus

ALIAS = "zonepatent-patents"
NEW_INDEX = "zonepatent-patents-20240101000000000000"
OLD_INDEX = "zonepatent-patents-20230101000000000000"
STOPWORDS = sorted(CJK_STOPWORDS | EN_STOPWORDS)
QUERY_STOPS = sorted(QUERY_STOPWORDS | QUERY_EN_STOPWORDS | EN_STOPWORDS)
#: the synonym table's rule lines, read straight from the file (not through the loader)
SYNONYM_LINES = [
    line.strip()
    for line in (Path(search.__file__).parent / "synonyms" / "zh_en_v2.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]
TEXT = {"analyzer": "zh_index", "search_analyzer": "zh_search", "type": "text"}
KEYWORD = {"type": "keyword"}

EXPECTED_INDEX = {
    "settings": {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "max_result_window": 10000,
        "analysis": {
            "analyzer": {
                "zh_index": {"type": "custom", "tokenizer": "smartcn_tokenizer", "filter": ["lowercase", "porter_stem"]},
                "zh_search": {
                    "type": "custom",
                    "tokenizer": "smartcn_tokenizer",
                    "filter": ["lowercase", "query_stop", "zh_synonyms", "porter_stem"],
                },
            },
            "filter": {
                "query_stop": {"type": "stop", "stopwords": QUERY_STOPS},
                "zh_synonyms": {"type": "synonym_graph", "synonyms": SYNONYM_LINES, "lenient": True},
            },
        },
    },
    "mappings": {
        "properties": {
            "patent_id": {"type": "long"},
            "publication_number": KEYWORD,
            "numbers": KEYWORD,
            "title": {**TEXT, "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
            "abstract": TEXT,
            "claims": TEXT,
            "applicants": KEYWORD,
            "applicants_text": TEXT,
            "inventors": KEYWORD,
            "ipc_codes": KEYWORD,
            "ipc_section": KEYWORD,
            "ipc_class": KEYWORD,
            "ipc_subclass": KEYWORD,
            "ipc_main_group": KEYWORD,
            "ipc_subgroup": KEYWORD,
            "zone": KEYWORD,
            "industry": KEYWORD,
            "legal_status": KEYWORD,
            "kind": KEYWORD,
            "application_date": {"type": "date"},
            "application_year": {"type": "integer"},
            "filing_sort": {"type": "date"},
            "listed": {"type": "boolean"},
            "title_suggest": {"type": "completion"},
            "applicant_suggest": {"type": "completion"},
        }
    },
}

FACET_AGGS = {
    **{
        name: {"terms": {"field": field, "size": 200, "order": [{"_count": "desc"}, {"_key": "asc"}]}}
        for name, field in (
            ("ipc_section", "ipc_section"),
            ("ipc_class", "ipc_class"),
            ("ipc_subclass", "ipc_subclass"),
            ("ipc_main_group", "ipc_main_group"),
            ("zone", "zone"),
            ("industry", "industry"),
            ("applicant", "applicants"),
            ("legal_status", "legal_status"),
            ("kind", "kind"),
        )
    },
    "application_year": {"terms": {"field": "application_year", "size": 200, "order": {"_key": "desc"}}},
    "application_date_histogram": {
        "date_histogram": {"field": "filing_sort", "calendar_interval": "year", "format": "yyyy", "min_doc_count": 1}
    },
}
HIGHLIGHT = {
    "fields": {
        "title": {"number_of_fragments": 0},
        "abstract": {"fragment_size": 160, "number_of_fragments": 1},
        "claims": {"fragment_size": 160, "number_of_fragments": 1},
    },
    "pre_tags": ["<mark>"],
    "post_tags": ["</mark>"],
    "encoder": "html",
}
MULTI_MATCH_FIELDS = ["title^10", "abstract^4", "applicants_text^2", "claims^1"]


class RecordingNode(BaseNode):
    """A transport node that records each request and answers from ``responses`` (method, path) → body."""

    calls: list[tuple[str, str, object]] = []
    responses: dict[tuple[str, str], dict] = {}

    def perform_request(self, method, target, body=None, headers=None, request_timeout=None):
        path = target.split("?")[0]
        decoded: object = None
        if body:
            text = body.decode()
            if path.endswith("/_bulk"):
                decoded = [json.loads(line) for line in text.splitlines() if line]
            else:
                decoded = json.loads(text)
        RecordingNode.calls.append((method, target, decoded))
        answer = RecordingNode.responses.get((method, path), {"acknowledged": True})
        status = answer.pop("__status__", 200) if isinstance(answer, dict) else 200
        meta = ApiResponseMeta(
            status=status,
            http_version="1.1",
            headers=HttpHeaders({"x-elastic-product": "Elasticsearch", "content-type": "application/json"}),
            duration=0.0,
            node=self.config,
        )
        return NodeApiResponse(meta, json.dumps(answer).encode())


@pytest.fixture
def recorded(monkeypatch):
    RecordingNode.calls = []
    RecordingNode.responses = {}
    client = Elasticsearch("http://es.invalid:9200", node_class=RecordingNode)
    backend = Backend(client, prefix="zonepatent")
    monkeypatch.setattr(backend, "new_index_name", lambda: NEW_INDEX)
    return backend, RecordingNode


def test_index_definition_mappings_and_smartcn_analysis(recorded):
    backend, _ = recorded
    assert backend.index_definition(NEW_INDEX).to_dict() == EXPECTED_INDEX


def test_rebuild_creates_bulk_loads_and_swaps_the_alias(recorded):
    backend, node = recorded
    node.responses[("GET", f"/_alias/{ALIAS}")] = {OLD_INDEX: {"aliases": {ALIAS: {}}}}
    node.responses[("PUT", "/_bulk")] = {"errors": False, "items": [{"index": {"status": 201}}] * 8}
    docs = corpus()
    assert backend.rebuild(docs) == 8
    methods_paths = [(m, t.split("?")[0]) for m, t, _ in node.calls]
    assert methods_paths == [
        ("PUT", f"/{NEW_INDEX}"),
        ("PUT", "/_bulk"),
        ("POST", f"/{NEW_INDEX}/_refresh"),
        ("GET", f"/_alias/{ALIAS}"),
        ("POST", "/_aliases"),
        ("DELETE", f"/{OLD_INDEX}"),
    ]
    assert node.calls[0][2] == EXPECTED_INDEX
    bulk_lines = node.calls[1][2]
    assert bulk_lines[0] == {"index": {"_index": NEW_INDEX, "_id": "1"}}
    first = bulk_lines[1]
    assert first["patent_id"] == 1 and first["title"] == "一种光纤传感器及其制备方法"
    assert first["ipc_section"] == ["G"]
    assert first["ipc_class"] == ["G01", "G02"]
    assert first["ipc_subclass"] == ["G01K", "G02B"]
    assert first["ipc_main_group"] == ["G01K11/00", "G02B6/00"]
    assert first["ipc_subgroup"] == ["G01K11/32", "G02B6/02"]
    assert first["application_year"] == 2019 and first["application_date"] == "2019-03-01"
    assert first["filing_sort"] == "2019-03-01"
    assert first["title_suggest"] == {"input": ["一种光纤传感器及其制备方法", "光纤传感器及其制备方法"]}
    assert first["applicant_suggest"] == {"input": ["武汉光电研究院"]}
    assert len(bulk_lines) == 16  # one action line and one source line per document
    assert node.calls[4][2] == {
        "actions": [{"remove": {"index": OLD_INDEX, "alias": ALIAS}}, {"add": {"index": NEW_INDEX, "alias": ALIAS}}]
    }


def test_single_writes_go_through_the_alias(recorded):
    backend, node = recorded
    node.responses[("HEAD", f"/_alias/{ALIAS}")] = {}
    backend.index_one(corpus()[0])
    method, target, body = node.calls[-1]
    assert (method, target.split("?")[0]) == ("PUT", f"/{ALIAS}/_doc/1")
    assert "refresh=wait_for" in target
    assert body["title"] == "一种光纤传感器及其制备方法"
    backend.delete(1)
    assert (node.calls[-1][0], node.calls[-1][1].split("?")[0]) == ("DELETE", f"/{ALIAS}/_doc/1")


def test_full_text_search_with_every_filter(recorded):
    backend, _ = recorded
    query = SearchQuery(
        text="光纤 传感器",
        filters=SearchFilters(ipc="G01K", zone="Z6", industry="I6", applicant="华为技术有限公司",
                              legal_status="in_force", kind="invention", year_from=2015, year_to=2020),
        page=2,
        page_size=10,
    )
    assert backend.build_search(query).to_dict() == {
        "query": {
            "bool": {
                "must": [{"multi_match": {"query": "光纤 传感器", "fields": MULTI_MATCH_FIELDS, "type": "best_fields", "operator": "and"}}],
                "filter": [
                    {"term": {"ipc_subclass": "G01K"}},
                    {"term": {"zone": "Z6"}},
                    {"term": {"industry": "I6"}},
                    {"term": {"applicants": "华为技术有限公司"}},
                    {"term": {"legal_status": "in_force"}},
                    {"term": {"kind": "invention"}},
                    {"range": {"application_year": {"gte": 2015, "lte": 2020}}},
                ],
            }
        },
        "aggs": FACET_AGGS,
        "sort": ["_score", {"patent_id": "asc"}],
        "track_total_hits": True,
        "from": 10,
        "size": 10,
        "_source": ["publication_number", "title"],
        "highlight": HIGHLIGHT,
    }


@pytest.mark.parametrize(
    "code, field, value",
    [("H", "ipc_section", "H"), ("H04", "ipc_class", "H04"), ("H04B", "ipc_subclass", "H04B"),
     ("H04B 10/00", "ipc_main_group", "H04B10/00"), ("h04b10/25", "ipc_subgroup", "H04B10/25")],
)
def test_every_ipc_level_is_a_term_filter(recorded, code, field, value):
    backend, _ = recorded
    body = backend.build_search(SearchQuery(filters=SearchFilters(ipc=code), facets=False)).to_dict()
    assert body["query"] == {"bool": {"filter": [{"term": {field: value}}]}}


def test_browsing_without_text_sorts_newest_and_has_no_highlight(recorded):
    backend, _ = recorded
    assert backend.build_search(SearchQuery(facets=False)).to_dict() == {
        "sort": [{"filing_sort": {"order": "desc", "missing": "_last"}}, {"patent_id": "asc"}],
        "track_total_hits": True,
        "from": 0,
        "size": 20,
        "_source": ["publication_number", "title"],
    }
    oldest = backend.build_search(SearchQuery(text="电池", sort="oldest", facets=False, highlight=False)).to_dict()
    assert oldest["sort"] == [{"filing_sort": {"order": "asc", "missing": "_last"}}, {"patent_id": "asc"}]
    assert "highlight" not in oldest


def test_boilerplate_alone_is_searched_with_the_index_analyser(recorded):
    backend, _ = recorded
    body = backend.build_search(SearchQuery(text="一种 方法", facets=False, highlight=False)).to_dict()
    assert body["query"]["bool"]["must"] == [
        {"multi_match": {"query": "一种 方法", "fields": MULTI_MATCH_FIELDS, "type": "best_fields", "operator": "and", "analyzer": "zh_index"}}
    ]
    mixed = backend.build_search(SearchQuery(text="一种光纤", facets=False, highlight=False)).to_dict()
    assert "analyzer" not in mixed["query"]["bool"]["must"][0]["multi_match"]


def test_more_like_this_requests(recorded):
    backend, _ = recorded
    body = backend.build_more_like_this(patent_id=7, text="钛合金 关节", filters=SearchFilters(ids=(1, 2)), limit=5).to_dict()
    assert body == {
        "query": {
            "bool": {
                "must": [
                    {
                        "more_like_this": {
                            "fields": ["title", "abstract", "claims"],
                            "like": [{"_index": ALIAS, "_id": "7"}, "钛合金 关节"],
                            "min_term_freq": 1,
                            "min_doc_freq": 1,
                            "max_query_terms": 25,
                            "minimum_should_match": "10%",
                            "stop_words": STOPWORDS,
                        }
                    }
                ],
                "filter": [{"ids": {"values": ["1", "2"]}}],
            }
        },
        "highlight": {"fields": {"title": {"number_of_fragments": 0}}, "pre_tags": ["<mark>"], "post_tags": ["</mark>"], "encoder": "html"},
        "_source": ["publication_number", "title"],
        "from": 0,
        "size": 5,
    }


@pytest.mark.parametrize("field, suggest_field", [("title", "title_suggest"), ("applicant", "applicant_suggest")])
def test_completion_suggester_requests(recorded, field, suggest_field):
    backend, _ = recorded
    assert backend.build_autocomplete("光纤", field=field, limit=8).to_dict() == {
        "_source": False,
        "size": 0,
        "suggest": {"complete": {"prefix": "光纤", "completion": {"field": suggest_field, "size": 8, "skip_duplicates": True}}},
    }


def test_search_sends_the_body_and_reads_hits_facets_highlights(recorded):
    backend, node = recorded
    buckets = {name: {"buckets": []} for name in FACETS}
    buckets["ipc_subclass"] = {"buckets": [{"key": "G01K", "doc_count": 2}]}
    buckets["application_year"] = {"buckets": [{"key": 2019, "doc_count": 1}]}
    buckets["application_date_histogram"] = {"buckets": [{"key_as_string": "2019", "key": 1546300800000, "doc_count": 1}]}
    node.responses[("POST", f"/{ALIAS}/_search")] = {
        "took": 1,
        "timed_out": False,
        "hits": {
            "total": {"value": 2, "relation": "eq"},
            "max_score": 3.2,
            "hits": [
                {"_index": NEW_INDEX, "_id": "1", "_score": 3.2,
                 "_source": {"publication_number": "CN120000001A", "title": "一种光纤传感器及其制备方法"},
                 "highlight": {"title": ["一种<mark>光纤</mark>传感器及其制备方法"]}},
            ],
        },
        "aggregations": buckets,
    }
    query = SearchQuery(text="光纤")
    result = backend.search(query)
    method, target, body = node.calls[-1]
    assert (method, target.split("?")[0]) == ("POST", f"/{ALIAS}/_search")
    assert body == backend.build_search(query).to_dict()
    assert result.total == 2
    assert result.hits[0].id == 1 and result.hits[0].highlights == {"title": "一种<mark>光纤</mark>传感器及其制备方法"}
    assert result.facets["ipc_subclass"][0].value == "G01K" and result.facets["ipc_subclass"][0].count == 2
    assert result.facets["application_year"][0].value == "2019"
    assert backend.date_histogram(query)[0].value == "2019"


def test_hostile_input_is_sent_as_plain_text_never_as_query_syntax(recorded):
    backend, _ = recorded
    text = 'title:光纤 AND (x OR "y'
    body = backend.build_search(SearchQuery(text=text, facets=False, highlight=False)).to_dict()
    assert body["query"]["bool"]["must"][0]["multi_match"]["query"] == text  # multi_match does not parse syntax
    assert "query_string" not in json.dumps(body)


def test_partial_search_body_and_full_match_count(recorded):
    backend, node = recorded
    text = "光伏板自动清洗"
    assert backend.build_full_count(text) == {
        "query": {"multi_match": {"query": text, "fields": MULTI_MATCH_FIELDS, "type": "best_fields", "operator": "and"}}
    }
    body = backend.build_search(SearchQuery(text=text, facets=False, highlight=False), partial=True).to_dict()
    assert body["query"] == {
        "bool": {
            "must": [{"multi_match": {"query": text, "fields": MULTI_MATCH_FIELDS, "type": "best_fields",
                                      "operator": "or", "minimum_should_match": "50%"}}],
            "should": [{"multi_match": {"query": text, "fields": MULTI_MATCH_FIELDS, "type": "best_fields",
                                        "operator": "and", "boost": 10}}],
        }
    }
    assert body["aggs"] == {
        "full_matches": {"filter": {"multi_match": {"query": text, "fields": MULTI_MATCH_FIELDS,
                                                    "type": "best_fields", "operator": "and"}}}
    }
    # the engine asks _count first (no filters) and goes partial when fewer than 10 hold every word
    node.responses[("POST", f"/{ALIAS}/_count")] = {"count": 3}
    node.responses[("POST", f"/{ALIAS}/_search")] = {
        "hits": {"total": {"value": 5, "relation": "eq"}, "hits": []},
        "aggregations": {"full_matches": {"doc_count": 3}, **{n: {"buckets": []} for n in FACETS}},
    }
    result = backend.search(SearchQuery(text=text, filters=SearchFilters(zone="Z6")))
    count_call = [c for c in node.calls if c[1].split("?")[0] == f"/{ALIAS}/_count"][0]
    assert count_call[2] == backend.build_full_count(text)
    assert result.partial and result.total == 5 and result.words == ("光伏板", "自动", "清洗")


def test_numbers_and_ipc_codes_in_the_query(recorded):
    backend, _ = recorded
    body = backend.build_search(SearchQuery(text="CN 111600024 B", facets=False, highlight=False)).to_dict()
    assert body["query"] == {
        "bool": {
            "must": [{"bool": {"should": [{"terms": {"numbers": ["111600024", "11160002"], "boost": 1000}}],
                               "minimum_should_match": 1}}],
        }
    }
    body = backend.build_search(SearchQuery(text="电池 H01M 10/0525", facets=False, highlight=False)).to_dict()
    assert body["query"]["bool"]["filter"] == [{"term": {"ipc_subgroup": "H01M10/0525"}}]
    assert body["query"]["bool"]["must"][0]["multi_match"]["query"] == "电池"
    only_ipc = backend.build_search(SearchQuery(text="H01M", facets=False, highlight=False)).to_dict()
    assert only_ipc["query"] == {"bool": {"filter": [{"term": {"ipc_subclass": "H01M"}}]}}


def test_documents_carry_their_number_keys():
    from search.backends.elasticsearch import PatentIndexDoc
    from tests.factories import PatentDocumentFactory

    doc = PatentDocumentFactory(id=5, publication_number="CN111600024B", application_number="202010486123.4")
    assert PatentIndexDoc.from_document(doc).to_dict()["numbers"] == ["111600024", "202010486123"]
