"""What only the embedded engine has: its analysis, the table-set swap, and several processes on one file."""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.analysis import highlight, match_expression, query_tokens
from search.backends.embedded import Backend
from search.interface import SearchFilters, SearchQuery
from tests.factories import PatentDocumentFactory, corpus


def test_query_tokens_never_carry_fts_syntax():
    analysed = query_tokens('光纤" OR NEAR(传感器*) {title}: ^x -y')
    expression = match_expression(analysed.tokens)
    assert expression == '"光纤" AND "near" AND "传感器" AND "titl" AND "x" AND "y"'


@given(st.text(max_size=200))
def test_any_text_becomes_a_safe_expression(text):
    expression = match_expression(query_tokens(text).tokens)
    for token in expression.split(" AND ") if expression else []:
        assert token.startswith('"') and token.endswith('"') and '"' not in token[1:-1]


def test_highlight_escapes_and_marks():
    snippet, matched = highlight("<i>光纤</i> & Sensors", ("光纤", "sensor"))
    assert snippet == "&lt;i&gt;<mark>光纤</mark>&lt;/i&gt; &amp; <mark>Sensors</mark>"
    assert matched == {"光纤", "sensor"}


def test_a_second_process_sees_writes_incrementally(tmp_path):
    path = tmp_path / "shared.sqlite3"
    web, worker = Backend(path), Backend(path)  # two processes opening the same file
    worker.rebuild(corpus())
    assert web.search(SearchQuery(text="光纤")).total == 4  # 1, 2, 6 and 4 ("optical fibre", a synonym)
    worker.index_one(PatentDocumentFactory(id=50, title="光纤陀螺仪", ipc_codes=("G01C19/72",)))
    result = web.search(SearchQuery(text="光纤"))
    assert result.total == 5
    assert {f.value: f.count for f in result.facets["ipc_subclass"]}["G01C"] == 1
    worker.delete(50)
    assert web.search(SearchQuery(text="光纤")).total == 4
    worker.rebuild(corpus()[:2])
    assert web.search(SearchQuery()).total == 2
    web.close()
    worker.close()


def test_writes_during_a_rebuild_are_carried_over(tmp_path):
    backend = Backend(tmp_path / "index.sqlite3")
    backend.rebuild(corpus())

    def documents():
        yield from corpus()[:4]
        # meanwhile a worker indexes a new patent and deletes an old one
        backend.index_one(PatentDocumentFactory(id=60, title="重建期间写入的光纤"))
        backend.delete(2)
        yield from corpus()[4:]
        yield corpus()[1]  # the rebuild's own (stale) copy of the deleted patent

    backend.rebuild(documents())
    found = {h.id for h in backend.search(SearchQuery(text="光纤")).hits}
    assert 60 in found and 2 not in found
    assert backend.search(SearchQuery(text="重建期间")).total == 1


def test_search_answers_from_the_old_tables_until_the_swap(tmp_path):
    backend = Backend(tmp_path / "index.sqlite3")
    backend.rebuild(corpus())
    seen = []

    def documents():
        for doc in [PatentDocumentFactory(id=70, title="新索引里的专利")]:
            seen.append(backend.search(SearchQuery(text="光纤")).total)  # mid-rebuild: the old index answers
            yield doc

    backend.rebuild(documents())
    assert seen == [4]
    assert backend.search(SearchQuery(text="光纤")).total == 0


VALUES = dict(
    ipc=["G01K11/32", "G01L19/14", "H04B10/03", "H01M4/58", "A61F2/32", "G02B6/02"],
    zone=["Z1", "Z2", "Z6"],
    applicant=["甲公司", "乙大学", "丙研究院"],
    status=["in_force", "pending", "lapsed"],
    kind=["invention", "utility_model"],
    word=["光纤", "传感器", "电池", "芯片"],
)

doc_strategy = st.fixed_dictionaries(
    dict(
        ipc=st.lists(st.sampled_from(VALUES["ipc"]), min_size=1, max_size=3, unique=True),
        zones=st.lists(st.sampled_from(VALUES["zone"]), max_size=2, unique=True),
        applicants=st.lists(st.sampled_from(VALUES["applicant"]), min_size=1, max_size=2, unique=True),
        status=st.sampled_from(VALUES["status"]),
        kind=st.sampled_from(VALUES["kind"]),
        year=st.one_of(st.none(), st.integers(2010, 2015)),
        words=st.lists(st.sampled_from(VALUES["word"]), min_size=1, max_size=3),
    )
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(doc_strategy, min_size=1, max_size=25), text=st.sampled_from(["", "光纤", "传感器", "电池 芯片"]))
def test_facet_counts_always_equal_filtered_totals(tmp_path_factory, docs, text):
    backend = Backend(tmp_path_factory.mktemp("prop") / "index.sqlite3")
    backend.rebuild(
        PatentDocumentFactory(
            id=i + 1,
            title="一种" + "".join(d["words"]),
            ipc_codes=tuple(d["ipc"]),
            zones=tuple(d["zones"]),
            industries=tuple(f"I-{z}" for z in d["zones"]),
            applicants=tuple(d["applicants"]),
            legal_status=d["status"],
            kind=d["kind"],
            application_date=dt.date(d["year"], 6, 1) if d["year"] else None,
        )
        for i, d in enumerate(docs)
    )
    result = backend.search(SearchQuery(text=text, page_size=100))
    param = {"ipc_section": "ipc", "ipc_class": "ipc", "ipc_subclass": "ipc", "ipc_main_group": "ipc",
             "zone": "zone", "industry": "industry", "applicant": "applicant", "legal_status": "legal_status", "kind": "kind"}
    for name, values in result.facets.items():
        for fv in values:
            if name == "application_year":
                filters = SearchFilters(year_from=int(fv.value), year_to=int(fv.value))
            else:
                filters = SearchFilters(**{param[name]: fv.value})
            assert backend.search(SearchQuery(text=text, filters=filters, facets=False)).total == fv.count
        assert sum(fv.count for fv in values) >= (result.total if name in ("legal_status", "kind") else 0)
    backend.close()


def test_packed_facet_counts_follow_changes_after_packing(tmp_path):
    """The numpy-packed counts (built on the first count) stay exact when documents change afterwards."""
    path = tmp_path / "packed.sqlite3"
    web, worker = Backend(path), Backend(path)
    worker.rebuild(corpus())
    before = web.search(SearchQuery(text="光纤"))
    subclasses = {f.value: f.count for f in before.facets["ipc_subclass"]}
    # one matching document moves to another field, one new document arrives, one leaves
    moved = next(d for d in corpus() if d.id == 1)
    worker.index_one(PatentDocumentFactory(id=1, title=moved.title, ipc_codes=("G01C19/72",)))
    worker.index_one(PatentDocumentFactory(id=60, title="光纤激光器", ipc_codes=("H01S3/067",)))
    after = web.search(SearchQuery(text="光纤"))
    counts = {f.value: f.count for f in after.facets["ipc_subclass"]}
    assert counts["G01C"] == subclasses.get("G01C", 0) + 1 and counts["H01S"] == subclasses.get("H01S", 0) + 1
    for value, count in counts.items():
        assert web.search(SearchQuery(text="光纤", filters=SearchFilters(ipc=value), facets=False)).total == count
    worker.delete(60)
    gone = {f.value: f.count for f in web.search(SearchQuery(text="光纤")).facets["ipc_subclass"]}
    assert gone.get("H01S", 0) == subclasses.get("H01S", 0)
    web.close()
    worker.close()
