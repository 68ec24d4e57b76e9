"""The embedded engine's facet columns: exact top-k on ties, filtered ranking equal to the unfiltered ranking
kept, and counts that stay filter totals after writes made since the columns were packed (and after a repack)."""
from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from search.backends.columns import Columns, top_k
from search.backends.embedded import Backend
from search.interface import SearchFilters, SearchQuery
from tests.factories import PatentDocumentFactory

EXTRA = ["传感器", "通信", "陀螺仪", "光栅", "激光", "放大器", "连接器", "涂层"]


@given(
    st.lists(st.integers(min_value=0, max_value=5), min_size=0, max_size=60),
    st.integers(min_value=0, max_value=70),
)
def test_top_k_is_exact_on_ties(primary, k):
    ids = np.arange(len(primary), dtype=np.int64)[::-1].copy()  # ids descending, so ties must be re-sorted
    keys = np.array(primary, dtype=np.float64)
    chosen = top_k(keys, ids, k)
    expected = sorted(range(len(primary)), key=lambda i: (primary[i], ids[i]))[:k]
    assert chosen.tolist() == expected


def _documents(n: int, start: int = 1) -> list:
    return [
        PatentDocumentFactory(
            id=i,
            title="光纤" + "".join(EXTRA[j % len(EXTRA)] for j in range(i % 5)) + f"{'光纤' * (i % 3)}",
            zones=(("Z1",) if i % 2 else ("Z2",)) + (("Z9",) if i % 37 == 0 else ()),
            applicants=("少见申请人",) if i % 41 == 0 else ("测试科技有限公司",),
        )
        for i in range(start, start + n)
    ]


def _ranked(backend: Backend, filters: SearchFilters = SearchFilters()) -> list[int]:
    ids: list[int] = []
    page = 1
    while True:
        result = backend.search(SearchQuery(text="光纤", filters=filters, page=page, page_size=100, facets=False,
                                            highlight=False))
        ids += [hit.id for hit in result.hits]
        if len(ids) >= result.total or not result.hits:
            return ids
        page += 1


def test_a_filtered_ranking_is_the_unfiltered_ranking_kept(tmp_path):
    """Filtering keeps the unfiltered BM25 order (every match is scored, then masked)."""
    backend = Backend(tmp_path / "index.sqlite3")
    documents = _documents(300)
    backend.rebuild(documents)
    everything = _ranked(backend)
    assert sorted(everything) == [d.id for d in documents]
    for filters in (SearchFilters(zone="Z1"), SearchFilters(zone="Z9"), SearchFilters(applicant="少见申请人")):
        kept = {d.id for d in documents if filters.zone in d.zones or filters.applicant in d.applicants}
        assert _ranked(backend, filters) == [d for d in everything if d in kept]
        first = backend.search(SearchQuery(text="光纤", filters=filters, page_size=5))
        assert [hit.id for hit in first.hits] == [d for d in everything if d in kept][:5]
    backend.close()


def _zone_counts_are_filter_totals(backend: Backend) -> dict[str, int]:
    result = backend.search(SearchQuery(text="光纤"))
    counts = {f.value: f.count for f in result.facets["zone"]}
    for zone, count in counts.items():
        assert backend.search(SearchQuery(text="光纤", filters=SearchFilters(zone=zone))).total == count
    return counts


def test_counts_stay_filter_totals_after_writes_and_a_repack(tmp_path):
    backend = Backend(tmp_path / "index.sqlite3")
    backend.rebuild(_documents(200))
    assert _zone_counts_are_filter_totals(backend) == {"Z1": 100, "Z2": 100, "Z9": 5}
    # changed since the columns were packed: counted from the per-document values
    backend.index_many([PatentDocumentFactory(id=i, title="光纤新品", zones=("Z3",)) for i in range(1, 21)])
    for i in range(21, 26):
        backend.delete(i)
    assert _zone_counts_are_filter_totals(backend) == {"Z1": 87, "Z2": 88, "Z3": 20, "Z9": 5}
    # more than 1,000 changes: the columns are packed again
    backend.index_many(_documents(1_100, start=1_000))
    assert _zone_counts_are_filter_totals(backend) == {"Z1": 87 + 550, "Z2": 88 + 550, "Z3": 20, "Z9": 5 + 29}
    assert backend.search(SearchQuery(text="光纤")).total == 1_295
    backend.close()


@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(min_value=0, max_value=11), max_size=6),
            st.sampled_from([0, dt.date(1999, 1, 1).toordinal(), dt.date(2000, 2, 29).toordinal(),
                             dt.date(2024, 12, 31).toordinal(), dt.date(1970, 1, 1).toordinal(),
                             dt.date(1969, 12, 31).toordinal()]),
        ),
        max_size=30,
    )
)
def test_columns_packed_from_the_index_rows_equal_those_packed_from_tuples(rows):
    """The load path (``from_blobs``: one bytes join, no tuple per document) packs what the tuples would."""
    facet_of = np.array([0, 1, -1, 2, -1, 3, 0, 1, 2, -1, 3, 0], dtype=np.int64)  # -1: filter only
    doc_ids = list(range(3, 3 + 2 * len(rows), 2))
    blobs = [np.array(vals, dtype=np.int32).tobytes() for vals, _ in rows]
    packed = Columns.from_blobs(np.array(doc_ids, dtype=np.int64), np.array([d for _, d in rows], dtype=np.int64),
                                blobs, facet_of, len(facet_of))
    expected = Columns.from_dicts(
        {d: tuple(v for v in vals if facet_of[v] >= 0) for d, (vals, _) in zip(doc_ids, rows)},
        {d: tuple(v for v in vals if facet_of[v] < 0) for d, (vals, _) in zip(doc_ids, rows)},
        {d: day for d, (_, day) in zip(doc_ids, rows)},
        {d: dt.date.fromordinal(day).year if day else 0 for d, (_, day) in zip(doc_ids, rows)},
        len(facet_of),
    )
    for name in ("doc_ids", "day", "year", "indptr", "vals", "val_rows", "x_vals", "x_val_rows", "present", "cvals"):
        assert getattr(packed, name).tolist() == getattr(expected, name).tolist(), name


def test_a_patent_named_by_its_number_is_counted_in_the_facets(tmp_path):
    backend = Backend(tmp_path / "index.sqlite3")
    documents = _documents(50)
    backend.rebuild(documents)
    named = documents[7]
    result = backend.search(SearchQuery(text=named.publication_number))
    assert result.hits[0].id == named.id
    zones = {f.value: f.count for f in result.facets["zone"]}
    assert sum(zones.values()) >= 1 and all(zones.get(z, 0) >= 1 for z in named.zones)
    backend.close()
