"""The embedded engine's own postings: the score is FTS5's bm25 term for term, whether a document reached the
postings by a rebuild (main), by a later write (delta) or by a compaction; deleted and rewritten documents stop
matching their old words; an index written before the postings existed gets them when it is opened."""
from __future__ import annotations

import sqlite3

import pytest

from search import analysis
from search.backends import postings_write as postings
from search.backends.embedded import Backend
from search.backends.embedded_write import WEIGHTS
from search.backends.postings import Postings
from search.interface import SearchQuery
from search.understanding import TermGroup
from tests.factories import PatentDocumentFactory

WORDS = ["光纤", "传感器", "激光", "电池", "正极", "涂层", "控制", "图像"]


def _documents(n: int, start: int = 1, shift: int = 0) -> list:
    return [
        PatentDocumentFactory(
            id=i,
            title="".join(WORDS[(i + shift + j) % len(WORDS)] for j in range(1 + i % 3)) + "装置",
            abstract=("一种" + WORDS[(i * 3 + shift) % len(WORDS)] * (i % 4)) if i % 2 else "",
            applicants=(f"{WORDS[i % len(WORDS)]}科技有限公司",),
        )
        for i in range(start, start + n)
    ]


def _fts_bm25(backend: Backend, tokens: list[str]) -> dict[int, float]:
    """What FTS5 itself says: every match of the tokens ORed, with its bm25."""
    conn = backend._conn()
    s = backend._state(conn)[0]
    expression = analysis.match_expression(tokens, operator="OR")
    rows = conn.execute(
        f"SELECT rowid, bm25(fts_{s}, {', '.join(map(str, WEIGHTS))}) FROM fts_{s} WHERE fts_{s} MATCH ?",
        (expression,),
    ).fetchall()
    return dict(rows)


def _ours(backend: Backend, tokens: list[str]) -> dict[int, float]:
    backend.search(SearchQuery(text="预热"))  # brings the facet cache (epoch, seq) up to date
    with backend._read() as conn:
        s, _ = backend._refresh(conn)
        view, lists = backend._text(conn, s, tokens)
        ids = Postings.match(lists, (TermGroup("", tuple((t,) for t in tokens)),), view.top)
        return dict(zip(ids.tolist(), Postings.scores(lists, view, ids, tokens).tolist()))


def _assert_same(backend: Backend, tokens: list[str]) -> None:
    expected = _fts_bm25(backend, tokens)
    got = _ours(backend, tokens)
    assert set(got) == set(expected)
    assert expected, "the corpus must match the tokens"
    for doc_id, score in expected.items():
        assert got[doc_id] == pytest.approx(score, rel=1e-9, abs=1e-12), doc_id


QUERIES = [["光纤"], ["传感器", "激光"], ["电池", "正极", "涂层"], ["科技"], ["装置"]]


@pytest.fixture
def backend(tmp_path):
    engine = Backend(tmp_path / "index.sqlite3")
    yield engine
    engine.close()


@pytest.mark.parametrize("tokens", QUERIES)
def test_scores_equal_fts5_bm25_after_a_rebuild(backend, tokens):
    backend.rebuild(_documents(120))
    _assert_same(backend, tokens)


@pytest.mark.parametrize("tokens", QUERIES)
def test_scores_equal_fts5_bm25_for_documents_written_since(backend, tokens):
    backend.rebuild(_documents(80))
    backend.index_many(_documents(30, start=61, shift=3))  # 20 rewritten, 10 new: all in the delta
    backend.delete(5)
    backend.delete(200)  # never indexed: nothing to undo
    _assert_same(backend, tokens)


def test_a_rewritten_document_no_longer_matches_its_old_words(backend):
    backend.rebuild([PatentDocumentFactory(id=1, title="光纤连接器", abstract="", applicants=("甲",)),
                     PatentDocumentFactory(id=2, title="光纤放大器", abstract="", applicants=("乙",))])
    assert backend.search(SearchQuery(text="连接器")).total == 1
    backend.index_one(PatentDocumentFactory(id=1, title="锂电池正极材料", abstract="", applicants=("甲",)))
    assert backend.search(SearchQuery(text="连接器")).total == 0
    assert [h.id for h in backend.search(SearchQuery(text="正极")).hits] == [1]
    backend.delete(2)
    assert backend.search(SearchQuery(text="光纤")).total == 0


def test_a_compaction_folds_the_delta_into_the_main_postings(backend, monkeypatch):
    monkeypatch.setattr(postings, "COMPACT_MIN", 10)
    backend.rebuild(_documents(100))
    generation = _generation(backend)
    backend.index_many(_documents(5, start=1, shift=1))
    assert _touched(backend) == 5 and _generation(backend) == generation  # 5 ≤ 10: kept in the delta
    backend.index_many(_documents(20, start=10, shift=2))
    assert _touched(backend) == 0 and _generation(backend) == generation + 1
    for tokens in QUERIES:
        _assert_same(backend, tokens)


def test_an_index_without_postings_gets_them_when_opened(tmp_path):
    path = tmp_path / "old.sqlite3"
    first = Backend(path)
    first.rebuild(_documents(60))
    expected = [h.id for h in first.search(SearchQuery(text="传感器", page_size=50)).hits]
    first.close()
    conn = sqlite3.connect(path)
    s = conn.execute("SELECT value FROM meta WHERE key='active'").fetchone()[0]
    postings.drop_tables(conn, s)  # as an index written by the previous version
    conn.commit()
    conn.close()
    reopened = Backend(path)
    assert [h.id for h in reopened.search(SearchQuery(text="传感器", page_size=50)).hits] == expected
    assert expected
    reopened.close()


def test_an_empty_index_keeps_writes_in_the_delta_until_a_build_is_due(backend):
    backend.index_many(_documents(30))
    assert _touched(backend) == 30
    assert backend.search(SearchQuery(text="光纤")).total == sum("光纤" in d.title for d in _documents(30))


def _touched(backend: Backend) -> int:
    conn = backend._conn()
    s = backend._state(conn)[0]
    return conn.execute(f"SELECT count(*) FROM ptouched_{s}").fetchone()[0]


def _generation(backend: Backend) -> int:
    conn = backend._conn()
    s = backend._state(conn)[0]
    row = conn.execute(f"SELECT value FROM plen_{s} WHERE key='gen'").fetchone()
    return int(row[0]) if row else 0


def test_a_rebuild_fed_out_of_order_and_twice_keeps_the_last_text(backend, monkeypatch):
    """Documents in any id order, one of them twice in different batches (the last one is what FTS5 holds)."""
    monkeypatch.setattr("search.backends.embedded_write.BATCH", 7)
    documents = _documents(40)[::-1]
    again = PatentDocumentFactory(id=documents[3].id, title="陀螺仪光栅", abstract="", applicants=("丙",))
    backend.rebuild(documents + [again])
    assert [h.id for h in backend.search(SearchQuery(text="陀螺仪")).hits] == [again.id]
    for tokens in QUERIES:
        _assert_same(backend, tokens)
