"""Query understanding on realistic records: ranked partial matches, numbers, IPC codes in the text, synonyms,
suggestions; the synonym table's validation; hostile input (Hypothesis)."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.interface import SearchFilters, SearchQuery
from search.selectors import search_patents
from search.synonyms import SynonymError, default_table, parse_synonyms
from search.understanding import document_number_keys, find_ipc, find_numbers, understand
from tests.factories import PatentDocumentFactory

ROWS = [
    (1, "CN111600024B", "202010486123.4", "一种锂离子电池正极材料及其制备方法", "提高循环寿命的高镍正极材料。", ("H01M4/525",)),
    (2, "CN112000002A", "", "锂电池负极材料", "硅碳负极。", ("H01M4/38",)),
    (3, "CN112000003A", "", "一种光伏板自动清洗机器人", "太阳能电池板表面的清扫装置。", ("H02S40/10",)),
    (4, "CN112000004U", "", "太阳能电池板清洁装置", "", ("H02S40/10", "B08B1/00")),
    (5, "CN112000005A", "", "电镀废水中重金属的去除方法", "电镀废水经絮凝沉淀去除重金属离子。", ("C02F1/62",)),
    (6, "CN112000006A", "", "含重金属污水处理装置", "", ("C02F9/00",)),
    (7, "CN112000007A", "", "Lithium-ion battery cathode coating", "A cathode material coated by alumina.", ("H01M4/36",)),
    (8, "CN112000008U", "", "图像采集装置", "影像传感器。", ("H04N23/00",)),
    (9, "CN112000009A", "", "一种电池管理系统", "锂离子电池组的均衡。", ("H01M10/42",)),
    (10, "CN112000010A", "", "轴承润滑结构", "", ("F16C33/66",)),
]


def corpus():
    return [
        PatentDocumentFactory(id=i, publication_number=pub, application_number=app, title=title, abstract=abstract,
                              ipc_codes=ipc, applicants=("宁德时代新能源科技股份有限公司",) if i in (1, 9) else ("测试科技有限公司",),
                              application_date=dt.date(2015 + i, 1, 1))
        for i, pub, app, title, abstract, ipc in ROWS
    ]


@pytest.fixture
def loaded(backend):
    backend.rebuild(corpus())
    return backend


def ids(result):
    return [h.id for h in result.hits]


class TestQueryUnderstanding:
    def test_sentence_queries_return_ranked_results(self, loaded):
        result = loaded.search(SearchQuery(text="提高锂离子电池正极材料循环寿命"))
        assert ids(result)[0] == 1 and 7 in ids(result)  # 7: English "lithium-ion battery cathode" (synonyms)
        assert "提高" in result.dropped_words and "锂离子电池" in result.words
        clean = loaded.search(SearchQuery(text="光伏板自动清洗"))
        assert set(ids(clean)[:2]) == {3, 4}  # 4 says 太阳能电池板 and 清洁: synonyms of both words
        water = loaded.search(SearchQuery(text="电镀废水重金属去除"))
        assert ids(water)[0] == 5 and 6 in ids(water)  # 6 holds half the words (污水=废水, 重金属): partial
        assert water.partial and 10 not in ids(water)

    def test_partial_results_keep_full_matches_first_and_say_so(self, loaded):
        result = loaded.search(SearchQuery(text="电镀废水重金属去除"))
        assert result.partial and ids(result)[0] == 5
        full = loaded.search(SearchQuery(text="锂电池"))
        assert not full.partial

    def test_facet_counts_describe_the_results_shown(self, loaded):
        result = loaded.search(SearchQuery(text="电镀废水重金属去除"))
        counts = {f.value: f.count for f in result.facets["ipc_subclass"]}
        assert sum(counts.values()) >= result.total and counts.get("C02F") == 2
        for value, count in counts.items():
            assert loaded.search(SearchQuery(text="电镀废水重金属去除", filters=SearchFilters(ipc=value))).total == count

    @pytest.mark.parametrize("text", ["CN111600024B", "111600024", "CN 111600024 B", "CN 2020 1 0486123.4",
                                      "202010486123.4", "2020-1-0486123.4", "ZL202010486123.4", "CN111600024"])
    def test_numbers_in_any_written_form_find_the_patent_first(self, loaded, text):
        result = loaded.search(SearchQuery(text=text))
        assert ids(result)[:1] == [1], text
        assert result.numbers_found == (1,)

    def test_ipc_code_in_the_query_becomes_the_filter(self, loaded):
        result = loaded.search(SearchQuery(text="H01M"))
        assert set(ids(result)) == {1, 2, 7, 9} and result.ipc_from_query == "H01M"
        narrowed = loaded.search(SearchQuery(text="电池 H01M 10/42"))
        assert ids(narrowed) == [9] and narrowed.ipc_from_query == "H01M10/42"

    def test_synonyms_abbreviations_and_english(self, loaded):
        assert {1, 9} <= set(ids(loaded.search(SearchQuery(text="锂电池"))))  # 锂离子电池 titles
        assert 7 in ids(loaded.search(SearchQuery(text="锂电池")))
        # one English word finds the English record and the Chinese ones (table v2: lithium => 锂电池 …)
        assert {1, 2, 7, 9} <= set(ids(loaded.search(SearchQuery(text="lithium"))))
        assert {3, 4} <= set(ids(loaded.search(SearchQuery(text="solar"))))  # 太阳能电池板
        assert set(ids(loaded.search(SearchQuery(text="影像")))) == {8}

    def test_applicants_are_searchable(self, loaded):
        assert set(ids(loaded.search(SearchQuery(text="宁德时代")))) == {1, 9}

    @pytest.mark.django_db
    def test_suggestions_on_a_thin_result(self, loaded):
        result = search_patents(SearchQuery(text="轴承", filters=SearchFilters(ipc="H01M")), backend=loaded)
        assert result.total == 0
        widen = [s for s in result.suggestions if s.kind == "widen"]
        assert widen and widen[0].params == {"ipc": ""} and widen[0].total == 1
        dropped = search_patents(SearchQuery(text="轴承 疫苗 钛合金"), backend=loaded)
        assert any(s.kind == "drop_word" for s in dropped.suggestions) or dropped.total
        partial = search_patents(SearchQuery(text="电镀废水重金属去除"), backend=loaded)
        ipc = [s for s in partial.suggestions if s.kind == "ipc"]
        assert ipc and ipc[0].params == {"ipc": "C02F"}

    @pytest.mark.parametrize("text", ["H0", "/", "H01M/", "CN", "--- 111 ---", "H01M 10/", "锂电池" * 80,
                                      "一种 的 方法", "需要", "'; DROP TABLE numbers_a; --", "CN1116000２４Ｂ"])
    def test_odd_input_never_raises(self, loaded, text):
        assert loaded.search(SearchQuery(text=text)).total >= 0


def test_understand_parts():
    u = understand("我们需要一种提高锂电池循环寿命的技术 H01M")
    assert u.ipc == "H01M" and "需要" in u.dropped and "锂电池" in u.words and "循环寿命" in u.words
    assert find_ipc("lone H0 and /")[0] == ""
    assert find_numbers("see CN 111-600-024 B")[0][0] == "111600024"
    assert document_number_keys("CN111600024B", "202010486123.4") == ("111600024", "202010486123")


class TestSynonymTable:
    def test_the_shipped_table_loads_with_its_version_and_required_groups(self):
        table = default_table()
        assert table.version == "zh_en_v2" and len(table.rules) >= 65
        assert "锂离子电池" in table.expand("lithium") and table.expand("battery") == ("battery", "电池")
        for a, b in (("锂电池", "锂离子电池"), ("锂电池", "lithium ion battery"), ("清洗", "清扫"), ("图像", "影像"),
                     ("光伏", "photovoltaic"), ("光伏", "太阳能电池"), ("正极材料", "cathode material"),
                     ("正极材料", "阴极材料")):
            assert b in table.expand(a), (a, b)

    @pytest.mark.parametrize(
        "body, line, message",
        [
            ("# version: t\na, b\nb, c\n", 3, "duplicate term 'b'"),
            ("# version: t\na, b, a\n", 2, "duplicate term 'a'"),
            ("# version: t\na, , b\n", 2, "empty term"),
            ("# version: t\nlonely\n", 2, "at least two terms"),
            ("# version: t\na =>\n", 2, "empty side"),
            ("# version: t\na => b\nb => a\n", 3, "cycle"),
            ("a, b\n", 1, "version"),
        ],
    )
    def test_bad_tables_are_refused_naming_the_line(self, body, line, message):
        with pytest.raises(SynonymError) as info:
            parse_synonyms(body, path="t.txt")
        assert f"t.txt:{line}" in str(info.value) and message in str(info.value)

    def test_one_way_rules_expand_one_way(self):
        table = parse_synonyms("# version: t\nlib => lithium ion battery\n")
        assert table.expand("lib") == ("lib", "lithium ion battery")
        assert table.expand("lithium ion battery") == ("lithium ion battery",)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("锂电池光伏清洗HMN01/ .-CNZLX23456789\"'*:()^一种需要")), max_size=60))
def test_any_query_is_answered_without_an_engine_error(tmp_path_factory, text):

    backend = _shared_backend(tmp_path_factory)
    result = backend.search(SearchQuery(text=text))
    assert result.total >= 0 and len(result.hits) <= 20


_BACKEND = {}


def _shared_backend(tmp_path_factory):
    from search.backends.embedded import Backend

    if "b" not in _BACKEND:
        backend = Backend(tmp_path_factory.mktemp("hyp") / "index.sqlite3")
        backend.rebuild(corpus())
        _BACKEND["b"] = backend
    return _BACKEND["b"]
