"""The embedded engine's own postings: FTS5's BM25 computed in numpy, so a query never waits for FTS5 to walk
and score every match.

Why: at a million patents a two-character word matches tens of thousands of documents, and FTS5 scores each
one in its C loop before it can return the best 20 (57 ms at p50 for the bare ``MATCH … ORDER BY bm25``).
With each term's posting list as two arrays (the documents holding it and its weighted frequency in each),
matching is a few sorted-array intersections, BM25 is one vectorised expression over the matches, and the
best k come from ``argpartition``.

The score is FTS5's own ``bm25(fts, 10, 4, 1, 2)`` term for term (k1 = 1.2, b = 0.75; per term
``idf · f·(k1+1) / (f + k1·(1 − b + b·D/avgdl))`` with ``f`` the column-weighted count, ``D`` the document's
token count over every column and ``idf = log((N − n + 0.5)/(n + 0.5))``, at least 1e-6), so ranking is the
same as before; ``tests/search/test_postings.py`` compares the two on a corpus.

Layout, per table set ``s`` (in the engine's SQLite file, so every read sees the same snapshot as the
documents and facets):

* ``post_s (term, n, ids, wtf)``: the *main* postings, written by a build from the FTS5 table's own text
  (after a rebuild, on upgrading an index that has none, and by a compaction); ``ids`` int32 ascending,
  ``wtf`` float32 aligned;
* ``plen_s``: the main documents' ids and token counts (two blobs) and the generation (bumped by each build);
* ``pdelta_s (term, doc_id, wtf)`` and ``ptouched_s (doc_id, len)``: every document written or deleted since
  the build (``len`` −1: deleted). A touched document's main postings are ignored and its delta rows used.
  Once touched documents are ``COMPACT_SHARE`` of the corpus, the writer builds the main postings again.

Processes keep the main posting lists they have read (per generation, bounded by ``CACHE_BYTES``); the
delta is read per query (it is small by construction). Writing and building: ``postings_write``.
"""
from __future__ import annotations

import math
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

#: FTS5's bm25 constants
K1 = 1.2
B = 0.75
#: main posting lists kept per process
CACHE_BYTES = 256 * 1024 * 1024
EMPTY_IDS = np.zeros(0, dtype=np.int64)


@dataclass
class _Main:
    """One generation of the main postings, as this process has read it."""

    key: tuple = ()
    ids: np.ndarray = field(default_factory=lambda: EMPTY_IDS)  # main documents, ascending
    lens: np.ndarray = field(default_factory=lambda: EMPTY_IDS)
    lists: OrderedDict = field(default_factory=OrderedDict)  # term → (ids int64, wtf float64)
    nbytes: int = 0


@dataclass
class View:
    """The postings as one snapshot sees them: main minus touched plus delta."""

    n_docs: int
    avgdl: float
    doclen: np.ndarray  # dense, doc id → token count (0 for unknown ids)
    touched: np.ndarray | None  # dense bool, doc id → main entries invalid (None: nothing touched)
    top: int  # largest doc id + 1 covered by the dense arrays


class Postings:
    """The reading side: one per engine, shared by its threads."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._main = _Main()
        self._view: tuple[tuple, View] | None = None

    # -- snapshot state -----------------------------------------------------------------------------------
    def view(self, conn: sqlite3.Connection, s: str, epoch: int, seq: int) -> View:
        """The snapshot's document lengths and touched set (read again only after a write)."""
        main = self._load_main(conn, s, epoch)
        key = (main.key, seq)
        with self._lock:
            if self._view is not None and self._view[0] == key:
                return self._view[1]
        touched = conn.execute(f"SELECT doc_id, len FROM ptouched_{s}").fetchall()
        t_ids = np.array([t[0] for t in touched], dtype=np.int64)
        t_lens = np.array([t[1] for t in touched], dtype=np.int64)
        top = int(max(main.ids[-1] if len(main.ids) else -1, t_ids.max(initial=-1))) + 1
        doclen = np.zeros(top, dtype=np.int64)
        doclen[main.ids] = main.lens
        live = len(main.ids)
        total = int(main.lens.sum())
        mask = None
        if len(t_ids):
            mask = np.zeros(top, dtype=bool)
            in_main = np.zeros(len(t_ids), dtype=bool)
            if len(main.ids):
                pos = np.searchsorted(main.ids, t_ids).clip(max=len(main.ids) - 1)
                in_main = main.ids[pos] == t_ids
            live -= int(in_main.sum())
            total -= int(doclen[t_ids[in_main]].sum())
            mask[t_ids] = True
            present = t_lens >= 0
            doclen[t_ids] = np.where(present, t_lens, 0)
            live += int(present.sum())
            total += int(t_lens[present].sum())
        view = View(n_docs=live, avgdl=(total / live) if live else 1.0, doclen=doclen, touched=mask, top=top)
        with self._lock:
            self._view = (key, view)
        return view

    def _load_main(self, conn: sqlite3.Connection, s: str, epoch: int) -> _Main:
        rows = dict(conn.execute(f"SELECT key, value FROM plen_{s} WHERE key='gen'").fetchall())
        key = (epoch, s, rows.get("gen", "0"))
        with self._lock:
            if self._main.key == key:
                return self._main
        blobs = dict(conn.execute(f"SELECT key, value FROM plen_{s} WHERE key IN ('ids', 'lens')").fetchall())
        main = _Main(
            key=key,
            ids=np.frombuffer(blobs.get("ids", b""), dtype=np.int32).astype(np.int64),
            lens=np.frombuffer(blobs.get("lens", b""), dtype=np.int32).astype(np.int64),
        )
        with self._lock:
            self._main = main
            self._view = None
        return main

    def _main_lists(self, conn: sqlite3.Connection, s: str, terms: Sequence[str]) -> dict[str, tuple]:
        main = self._main
        out: dict[str, tuple] = {}
        with self._lock:
            for term in terms:
                found = main.lists.get(term)
                if found is not None:
                    main.lists.move_to_end(term)
                    out[term] = found
        missing = [t for t in terms if t not in out]
        if missing:
            marks = ",".join("?" * len(missing))
            read = {
                term: (np.frombuffer(ids, dtype=np.int32).astype(np.int64),
                       np.frombuffer(wtf, dtype=np.float32).astype(np.float64))
                for term, ids, wtf in conn.execute(f"SELECT term, ids, wtf FROM post_{s} WHERE term IN ({marks})",
                                                   missing)
            }
            with self._lock:
                if self._main is main:
                    for term, lists in read.items():
                        main.lists[term] = lists
                        main.nbytes += lists[0].nbytes + lists[1].nbytes
                    while main.nbytes > CACHE_BYTES and len(main.lists) > 1:
                        _, (a, b) = main.lists.popitem(last=False)
                        main.nbytes -= a.nbytes + b.nbytes
            out.update(read)
        return out

    def lists(self, conn: sqlite3.Connection, s: str, view: View, terms: Sequence[str]) -> dict[str, tuple]:
        """Each term's (doc ids ascending, weighted frequencies) in this snapshot; absent terms are left out."""
        terms = list(dict.fromkeys(terms))
        if not terms:
            return {}
        main = self._main_lists(conn, s, terms)
        delta: dict[str, list[tuple[int, float]]] = {}
        if view.touched is not None:
            marks = ",".join("?" * len(terms))
            for term, doc_id, f in conn.execute(
                f"SELECT term, doc_id, wtf FROM pdelta_{s} WHERE term IN ({marks})", terms
            ):
                delta.setdefault(term, []).append((doc_id, f))
        out: dict[str, tuple] = {}
        for term in terms:
            ids, wtf = main.get(term, (EMPTY_IDS, np.zeros(0)))
            if view.touched is not None and len(ids):
                keep = ~view.touched[ids]
                ids, wtf = ids[keep], wtf[keep]
            extra = delta.get(term)
            if extra:
                ids = np.concatenate([ids, np.array([d for d, _ in extra], dtype=np.int64)])
                wtf = np.concatenate([wtf, np.array([f for _, f in extra], dtype=np.float64)])
                order = np.argsort(ids, kind="stable")
                ids, wtf = ids[order], wtf[order]
            if len(ids):
                out[term] = (ids, wtf)
        return out

    # -- queries ------------------------------------------------------------------------------------------
    def df(self, conn: sqlite3.Connection, s: str, view: View, terms: Sequence[str]) -> dict[str, int]:
        return {t: len(p[0]) for t, p in self.lists(conn, s, view, terms).items()}

    @staticmethod
    def match(lists: dict[str, tuple], groups, top: int) -> np.ndarray:
        """Documents holding every group (a group: any of its alternatives; an alternative: all its tokens)."""
        result: np.ndarray | None = None
        for group in groups:
            alts = []
            for alt in group.alternatives:
                ids = _intersect([lists[t][0] if t in lists else EMPTY_IDS for t in alt], top)
                if len(ids):
                    alts.append(ids)
            held = _union(alts, top)
            result = held if result is None else _intersect([result, held], top)
            if not len(result):
                return EMPTY_IDS
        return EMPTY_IDS if result is None else result

    @staticmethod
    def scores(lists: dict[str, tuple], view: View, ids: np.ndarray, terms: Iterable[str]) -> np.ndarray:
        """FTS5's bm25 of ``ids`` for these terms (negated, as FTS5 returns it: lower is better)."""
        total = np.zeros(len(ids), dtype=np.float64)
        if not len(ids):
            return total
        norm = K1 * (1 - B + B * view.doclen[ids] / view.avgdl)
        for term in dict.fromkeys(terms):
            posting = lists.get(term)
            if posting is None:
                continue
            p_ids, p_wtf = posting
            pos = np.searchsorted(p_ids, ids).clip(max=len(p_ids) - 1)
            held = p_ids[pos] == ids
            f = np.where(held, p_wtf[pos], 0.0)
            idf = idf_of(view.n_docs, len(p_ids))
            total += idf * (f * (K1 + 1)) / (f + norm)
        return -total

    @staticmethod
    def partial(lists: dict[str, tuple], view: View, groups, min_cov: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Documents holding at least ``min_cov`` of the groups: ids, key (coverage first, then summed BM25;
        lower is better) and whether each holds every group. Dense counting: no sort of the match lists."""
        top = view.top
        coverage = np.zeros(top, dtype=np.int32)
        summed = np.zeros(top, dtype=np.float64)
        n_groups = 0
        for group in groups:
            held = Postings.match(lists, (group,), top)
            n_groups += 1
            if not len(held):
                continue
            coverage[held] += 1
            summed[held] += Postings.scores(lists, view, held, group.tokens)
        chosen = np.flatnonzero(coverage >= max(1, min_cov))
        cov = coverage[chosen]
        return chosen.astype(np.int64), summed[chosen] - 1_000.0 * cov, cov == n_groups


def idf_of(n_docs: int, n: int) -> float:
    idf = math.log((n_docs - n + 0.5) / (n + 0.5)) if n_docs else 0.0
    return idf if idf > 0 else 1e-6


def _intersect(arrays: list[np.ndarray], top: int) -> np.ndarray:
    """Sorted unique arrays ANDed: the shortest probes the others by binary search, or by a dense mask when
    it is long."""
    if not arrays:
        return EMPTY_IDS
    arrays = sorted(arrays, key=len)
    result = arrays[0]
    for other in arrays[1:]:
        if not len(result):
            return EMPTY_IDS
        if len(result) * 32 > top:
            mask = np.zeros(top, dtype=bool)
            mask[other] = True
            result = result[mask[result]]
        else:
            pos = np.searchsorted(other, result).clip(max=len(other) - 1)
            result = result[other[pos] == result]
    return result


def _union(arrays: list[np.ndarray], top: int) -> np.ndarray:
    arrays = [a for a in arrays if len(a)]
    if not arrays:
        return EMPTY_IDS
    if len(arrays) == 1:
        return arrays[0]
    total = sum(len(a) for a in arrays)
    if total * 16 > top:
        mask = np.zeros(top, dtype=bool)
        for a in arrays:
            mask[a] = True
        return np.flatnonzero(mask).astype(np.int64)
    return np.unique(np.concatenate(arrays))
