"""The shared contract every search engine honours (Wagtail's ``BackendTests`` pattern).

It runs against the embedded engine always and against Elasticsearch when ELASTICSEARCH_URL is set
(the ``backend`` fixture in conftest.py skips with that reason otherwise).
"""
from __future__ import annotations

import dataclasses

import pytest

from search.interface import FACETS, MAX_PAGE_SIZE, SearchFilters, SearchQuery, Unsupported
from tests.factories import PatentDocumentFactory, corpus

FILTER_FOR_FACET = {
    "ipc_section": "ipc",
    "ipc_class": "ipc",
    "ipc_subclass": "ipc",
    "ipc_main_group": "ipc",
    "zone": "zone",
    "industry": "industry",
    "applicant": "applicant",
    "legal_status": "legal_status",
    "kind": "kind",
}


def filters_for(facet: str, value: str) -> SearchFilters:
    if facet == "application_year":
        return SearchFilters(year_from=int(value), year_to=int(value))
    return SearchFilters(**{FILTER_FOR_FACET[facet]: value})


def ids(result_or_hits) -> list[int]:
    hits = getattr(result_or_hits, "hits", result_or_hits)
    return [hit.id for hit in hits]


@pytest.fixture
def loaded(backend):
    backend.rebuild(corpus())
    return backend


class TestSearchBackendContract:
    def test_rebuild_indexes_everything(self, loaded):
        assert loaded.count() == len(corpus())

    def test_fingerprints_are_those_of_the_documents_indexed(self, loaded):
        from search.interface import document_fingerprint

        assert loaded.fingerprints() == {doc.id: document_fingerprint(doc) for doc in corpus()}
        loaded.delete(corpus()[0].id)
        assert corpus()[0].id not in loaded.fingerprints()

    def test_chinese_word_finds_records_with_highlights(self, loaded):
        result = loaded.search(SearchQuery(text="光纤"))
        assert set(ids(result)) == {1, 2, 4, 6}  # 4 says "optical fibre", a synonym in the table
        assert result.total == 4
        first = {hit.id: hit for hit in result.hits}[1]
        assert "<mark>光纤</mark>" in first.highlights["title"]

    def test_title_outranks_abstract_outranks_claims(self, loaded):
        result = loaded.search(SearchQuery(text="光纤"))
        order = ids(result)
        assert order.index(1) < order.index(6) and order.index(2) < order.index(6)  # 6 has 光纤 only in claims

    def test_longer_chinese_words_are_segmented(self, loaded):
        result = loaded.search(SearchQuery(text="光纤传感器"))
        found = ids(result)
        # 6 says 光纤温度传感器 in its claims; 4 is "Optical fibre sensors" (synonyms of both words);
        # so few hold both words that those holding one follow, flagged as partial
        assert 1 in found[:2] and set(found[:3]) == {1, 4, 6}
        assert result.partial and set(found[3:]) == {2, 3, 8}
        assert set(ids(loaded.search(SearchQuery(text="传感器")))) == {1, 3, 4, 6, 8}

    def test_english_is_lowercased_and_stemmed(self, loaded):
        for text in ("monitoring", "MONITOR", "monitors", "Temperatures"):
            assert ids(loaded.search(SearchQuery(text=text))) == [4], text

    def test_boilerplate_does_not_change_a_real_query(self, loaded):
        plain = ids(loaded.search(SearchQuery(text="光纤")))
        assert ids(loaded.search(SearchQuery(text="一种光纤及其方法"))) == plain
        assert set(ids(loaded.search(SearchQuery(text="一种 光纤 装置")))) == set(plain)

    def test_boilerplate_alone_still_answers(self, loaded):
        result = loaded.search(SearchQuery(text="一种"))
        assert set(ids(result)) == {1, 2, 5, 6, 8}  # in titles, an abstract (2) and claims (6)

    def test_every_ipc_level_filters(self, loaded):
        for code, expected in (
            ("G", {1, 3, 4, 6, 8}),
            ("G01", {1, 3, 4, 6, 8}),
            ("G01K", {1, 4}),
            ("G01K11/00", {1, 4}),
            ("G01K11/32", {1, 4}),
            ("H01M10/00", {6}),
        ):
            result = loaded.search(SearchQuery(filters=SearchFilters(ipc=code), page_size=50))
            assert set(ids(result)) == expected, code

    def test_filters_combine_with_text(self, loaded):
        query = SearchQuery(text="传感器", filters=SearchFilters(ipc="G01K", legal_status="in_force"))
        assert ids(loaded.search(query)) == [1]
        assert ids(loaded.search(SearchQuery(text="光纤", filters=SearchFilters(zone="Z6", kind="utility_model")))) == [2]
        assert ids(loaded.search(SearchQuery(filters=SearchFilters(applicant="华为技术有限公司"), sort="oldest"))) == [6, 2]
        years = loaded.search(SearchQuery(filters=SearchFilters(year_from=2019, year_to=2021), page_size=50))
        assert set(ids(years)) == {1, 2, 5}

    def test_every_facet_is_reported(self, loaded):
        facets = loaded.search(SearchQuery()).facets
        assert set(facets) == set(FACETS)
        as_dict = {name: {fv.value: fv.count for fv in values} for name, values in facets.items()}
        assert as_dict["ipc_section"] == {"G": 5, "H": 4, "A": 1}
        assert as_dict["ipc_subclass"]["G01K"] == 2
        assert as_dict["ipc_main_group"]["G01K11/00"] == 2
        assert as_dict["zone"] == {"Z6": 2, "Z2": 2, "Z8": 1}
        assert as_dict["applicant"]["华为技术有限公司"] == 2
        assert as_dict["kind"] == {"invention": 5, "utility_model": 2, "design": 1}
        assert as_dict["application_year"]["2019"] == 1

    @pytest.mark.parametrize("text", ["", "传感器", "光纤", "一种"])
    def test_facet_counts_equal_filter_totals(self, loaded, text):
        result = loaded.search(SearchQuery(text=text))
        for name, values in result.facets.items():
            for fv in values:
                filtered = loaded.search(SearchQuery(text=text, filters=filters_for(name, fv.value), facets=False))
                assert filtered.total == fv.count, (name, fv.value)

    def test_sort_by_date(self, loaded):
        newest = ids(loaded.search(SearchQuery(sort="newest", page_size=50)))
        assert newest[:3] == [4, 2, 5] and newest[-1] == 8  # no date sorts last
        oldest = ids(loaded.search(SearchQuery(text="传感器", sort="oldest")))
        assert oldest[:3] == [6, 3, 1]

    def test_pagination_partitions_the_results(self, loaded):
        seen = []
        for page in (1, 2, 3):
            result = loaded.search(SearchQuery(page=page, page_size=3, facets=False))
            assert result.total == 8 and result.page == page and result.page_size == 3
            seen += ids(result)
        assert sorted(seen) == list(range(1, 9))
        assert ids(loaded.search(SearchQuery(page=9, page_size=3))) == []

    def test_page_size_is_capped(self, loaded):
        assert loaded.search(SearchQuery(page_size=10_000)).page_size == MAX_PAGE_SIZE

    def test_highlights_are_html_escaped(self, loaded):
        hit = loaded.search(SearchQuery(text="标记")).hits[0]
        assert "<b>" not in hit.highlights["title"] and "&lt;b&gt;" in hit.highlights["title"]
        assert "<mark>标记</mark>" in hit.highlights["title"]
        snippet = loaded.search(SearchQuery(text="传感器", filters=SearchFilters(kind="design"))).hits[0].highlights
        assert "<script>" not in snippet.get("abstract", "")

    @pytest.mark.parametrize(
        "text",
        ['"unbalanced', 'a" OR "b', "NEAR(光纤 传感器, 2)", "光纤 AND NOT 传感器*", "title:光纤 ^2", "'; DROP TABLE docs_a; --",
         "1' OR '1'='1", "{title abstract}: x", "\\x00\\", "光" * 10_000, "()[]{}*:^-+~\"'"],
    )
    def test_hostile_text_never_raises(self, loaded, text):
        result = loaded.search(SearchQuery(text=text))
        assert result.total >= 0
        assert loaded.count() == 8

    def test_unknown_filter_values_find_nothing(self, loaded):
        for filters in (SearchFilters(zone="NOPE"), SearchFilters(ipc="H99Z"), SearchFilters(applicant="无此人")):
            result = loaded.search(SearchQuery(filters=filters))
            assert result.total == 0 and result.hits == []

    def test_index_one_replaces_and_delete_removes(self, loaded):
        loaded.index_one(dataclasses.replace(corpus()[6], title="钛合金光纤支架"))
        assert 7 in ids(loaded.search(SearchQuery(text="光纤")))
        assert ids(loaded.search(SearchQuery(text="人工"))) == []
        loaded.delete(7)
        assert 7 not in ids(loaded.search(SearchQuery(text="光纤")))
        assert loaded.count() == 7
        loaded.delete(7)  # deleting twice is harmless
        loaded.index_many(
            [PatentDocumentFactory(id=40, title="新增的光纤耦合器"), PatentDocumentFactory(id=41, title="另一个耦合器")]
        )
        assert set(ids(loaded.search(SearchQuery(text="耦合器")))) == {40, 41}
        assert loaded.count() == 9

    def test_rebuild_replaces_the_whole_index(self, loaded):
        loaded.rebuild([PatentDocumentFactory(id=90, title="只剩下的光纤")])
        assert loaded.count() == 1
        assert ids(loaded.search(SearchQuery(text="光纤"))) == [90]
        assert ids(loaded.search(SearchQuery(text="电池"))) == []

    def test_autocomplete_titles_and_applicants(self, loaded):
        titles = loaded.autocomplete("光纤")
        assert titles and all("光纤" in t for t in titles)
        assert "光纤通信网络的保护装置" in titles
        assert loaded.autocomplete("华为", field="applicant") == ["华为技术有限公司"]
        assert loaded.autocomplete("") == []
        with pytest.raises(ValueError):
            loaded.autocomplete("x", field="inventor")

    def test_more_like_this_a_patent(self, loaded):
        try:
            similar = loaded.more_like_this(patent_id=1, limit=3)
        except Unsupported as exc:
            pytest.skip(str(exc))
        assert similar and 1 not in ids(similar)
        assert ids(similar)[0] in {2, 4, 6}

    def test_more_like_this_free_text_and_ids(self, loaded):
        similar = loaded.more_like_this(text="锂离子电池的正极材料与电池管理", limit=5)
        assert ids(similar)[0] == 5 and 6 in ids(similar)
        restricted = loaded.more_like_this(text="锂离子电池的正极材料", filters=SearchFilters(ids=(6, 7)), limit=5)
        assert ids(restricted) == [6]
        assert loaded.more_like_this(text="", limit=5) == []
        assert loaded.more_like_this(patent_id=9999) == []

    def test_search_restricted_to_ids(self, loaded):
        result = loaded.search(SearchQuery(text="传感器", filters=SearchFilters(ids=(3, 5, 7))))
        assert ids(result) == [3]


def test_the_filing_year_stands_in_when_the_date_is_unknown(backend):
    """A record with only its filing year (no date) counts in the year facet, passes the year filter and
    sorts by 1 January of that year, in both engines."""
    import datetime as dt

    from search.interface import PatentDocument, SearchFilters, SearchQuery

    backend.rebuild([
        PatentDocument(id=1, publication_number="CN1A", title="光纤传感器", application_date=dt.date(2016, 6, 1)),
        PatentDocument(id=2, publication_number="CN2A", title="光纤连接器", application_year=2018),
        PatentDocument(id=3, publication_number="CN3A", title="光纤耦合器", application_date=dt.date(2017, 3, 1)),
        PatentDocument(id=4, publication_number="CN4A", title="光纤放大器"),
    ])
    result = backend.search(SearchQuery(text="光纤", sort="newest"))
    assert [h.id for h in result.hits] == [2, 3, 1, 4]  # the year-only record by 1 January 2018; no year last
    assert {f.value: f.count for f in result.facets["application_year"]} == {"2018": 1, "2017": 1, "2016": 1}
    only = backend.search(SearchQuery(text="光纤", filters=SearchFilters(year_from=2018, year_to=2018)))
    assert [h.id for h in only.hits] == [2]
    assert [h.id for h in backend.search(SearchQuery(text="光纤", sort="oldest")).hits] == [1, 3, 2, 4]
