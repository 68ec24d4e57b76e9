"""The embedded engine's facet side: each process's per-document facet values (loaded once, then refreshed
from the changelog), the filters as value ids and predicates, and match sets restricted, ordered and counted
over the packed columns (a part of ``search.backends.embedded.Backend``; see its docstring and
docs/search.md)."""
from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
import threading
from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from search.backends.columns import Columns, FilterSpec, MatchSet, top_k
from search.backends.embedded_results import FACET_INDEX
from search.backends.embedded_write import _batches
from search.facets import filter_pairs
from search.interface import SearchFilters


@dataclass
class _FacetCache:
    """One process's view of the per-document facet values (see the module docstring)."""

    epoch: int = -1
    seq: int = 0
    values: list[tuple[str, str]] = field(default_factory=list)  # value id → (facet, value)
    facet_of: list[int] = field(default_factory=list)  # value id → index in FACETS (-1: filter only)
    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    # the documents changed since the columns were packed (the others are read from the columns):
    docvals: dict[int, tuple[int, ...]] = field(default_factory=dict)  # the counted facet values
    filter_only: dict[int, tuple[int, ...]] = field(default_factory=dict)  # e.g. IPC subgroups
    dates: dict[int, int] = field(default_factory=dict)  # doc id → date ordinal (0 = unknown)
    years: dict[int, int] = field(default_factory=dict)
    columns: Columns | None = None  # every document's values packed for numpy (by ``_load_all``)
    stale: set[int] = field(default_factory=set)  # docs changed since ``columns`` was packed
    facet_array: Any = None  # numpy, per value table: counted ids by facet then value, their facet, labels


class FacetReader:
    """The facet arrays of one process; ``Backend`` supplies the connection and the snapshot state."""

    _cache: _FacetCache
    _cache_lock: threading.RLock

    @staticmethod
    def _state(conn: sqlite3.Connection) -> tuple[str, int, int, int]:
        raise NotImplementedError

    # ------------------------------------------------------------------------------------------------
    # the in-memory facet arrays
    # ------------------------------------------------------------------------------------------------
    def _refresh(self, conn: sqlite3.Connection) -> tuple[str, _FacetCache]:
        """Bring this process's facet arrays up to the snapshot ``conn`` is reading (inside a read txn)."""
        active, epoch, max_seq, min_seq = self._state(conn)
        with self._cache_lock:
            cache = self._cache
            if cache.epoch == epoch and cache.seq == max_seq:
                return active, cache
            if cache.epoch != epoch or (min_seq and cache.seq < min_seq - 1) or max_seq - cache.seq > 20_000:
                self._load_all(conn, active, epoch, max_seq)
                return active, self._cache
            changed = [r[0] for r in conn.execute("SELECT DISTINCT doc_id FROM changelog WHERE seq > ?", (cache.seq,))]
            if cache.columns is not None and len(cache.stale | set(changed)) > max(1_000, len(cache.columns) // 20):
                # the documents changed since packing are 5 % of the corpus: pack everything again
                self._load_all(conn, active, epoch, max_seq)
                return active, self._cache
            self._load_values(conn)
            for doc_id in changed:
                cache.docvals.pop(doc_id, None)
                cache.filter_only.pop(doc_id, None)
                cache.dates.pop(doc_id, None)
                cache.years.pop(doc_id, None)
            for chunk in _batches(changed, 500):
                rows = conn.execute(
                    f"SELECT doc_id, day, vals FROM facet_{active} WHERE doc_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                self._store_rows(rows)
            cache.seq = max_seq
            if cache.columns is not None:
                cache.stale.update(changed)
                cache.columns.mark_stale(changed)
            return active, self._cache

    def _load_values(self, conn: sqlite3.Connection) -> None:
        cache = self._cache
        for vid, facet, value in conn.execute(
            "SELECT id, facet, value FROM facet_values WHERE id >= ? ORDER BY id", (len(cache.values),)
        ):
            if vid >= len(cache.values):
                cache.values.extend([("", "")] * (vid + 1 - len(cache.values)))
                cache.facet_of.extend([-1] * (vid + 1 - len(cache.facet_of)))
            cache.values[vid] = (facet, value)
            cache.facet_of[vid] = FACET_INDEX.get(facet, -1)
            cache.ids[(facet, value)] = vid

    def _store_rows(self, rows) -> None:
        cache = self._cache
        docvals, filter_only, dates, years = cache.docvals, cache.filter_only, cache.dates, cache.years
        facet_of = cache.facet_of
        interned: dict[int, int] = {}
        for doc_id, day, blob in rows:
            vals = array("i")
            vals.frombytes(blob)
            docvals[doc_id] = tuple(interned.setdefault(v, v) for v in vals if facet_of[v] >= 0)
            extra = tuple(v for v in vals if facet_of[v] < 0)
            if extra:
                filter_only[doc_id] = extra
            dates[doc_id] = day
            years[doc_id] = dt.date.fromordinal(day).year if day else 0

    def _load_all(self, conn: sqlite3.Connection, active: str, epoch: int, max_seq: int) -> None:
        """Every document's values packed straight into the columns (the tuples then hold only the documents
        changed since)."""
        self._cache = cache = _FacetCache(epoch=epoch, seq=max_seq)
        self._load_values(conn)
        rows = conn.execute(f"SELECT doc_id, day, vals FROM facet_{active} ORDER BY doc_id").fetchall()
        n = len(rows)
        cache.columns = Columns.from_blobs(
            np.fromiter((r[0] for r in rows), dtype=np.int64, count=n),
            np.fromiter((r[1] for r in rows), dtype=np.int64, count=n),
            [r[2] for r in rows],
            np.array(cache.facet_of, dtype=np.int64),
            len(cache.values),
        )
        cache.seq = max_seq

    @staticmethod
    def _filter_spec(cache: _FacetCache, filters: SearchFilters) -> FilterSpec | None:
        """The filters in value ids, or None when a filter value is unknown (no hits)."""
        pairs = filter_pairs(filters)
        if pairs is None:
            return None
        required: list[int] = []
        required_extra: list[int] = []
        for pair in pairs:
            vid = cache.ids.get(pair)
            if vid is None:
                return None
            (required if cache.facet_of[vid] >= 0 else required_extra).append(vid)
        return FilterSpec(
            required=tuple(required),
            required_extra=tuple(required_extra),
            year_from=filters.year_from,
            year_to=filters.year_to,
            ids=frozenset(filters.ids) if filters.ids is not None else None,
        )

    def _filter_predicate(self, cache: _FacetCache, filters: SearchFilters):
        """A function doc id → bool for the filters, or None when a filter value is unknown (no hits)."""
        spec = self._filter_spec(cache, filters)
        return None if spec is None else self._predicate(cache, spec)

    @staticmethod
    def _predicate(cache: _FacetCache, spec: FilterSpec):
        """The Python form of ``spec``, for the few documents not in the packed columns."""
        required, required_extra = spec.required, spec.required_extra
        year_from, year_to, ids = spec.year_from, spec.year_to, spec.ids
        docvals, filter_only, years = cache.docvals, cache.filter_only, cache.years
        if spec.empty:
            return docvals.__contains__

        def keep(d: int) -> bool:
            vals = docvals.get(d)
            if vals is None:
                return False
            for vid in required:
                if vid not in vals:
                    return False
            if required_extra:
                extra = filter_only.get(d, ())
                for vid in required_extra:
                    if vid not in extra:
                        return False
            if year_from is not None or year_to is not None:
                year = years.get(d) or 0
                if not year or (year_from is not None and year < year_from) or (year_to is not None and year > year_to):
                    return False
            return ids is None or d in ids

        return keep

    # -- match sets: numpy over the packed columns, Python for documents changed since packing ------------
    @staticmethod
    def _columns(cache: _FacetCache) -> Columns:
        """The packed columns (built by ``_load_all``; packed again there once 5 % of the corpus changed)."""
        if cache.columns is None:
            cache.columns = Columns.from_dicts(cache.docvals, cache.filter_only, cache.dates, cache.years,
                                               len(cache.values))
            cache.stale = set()
        return cache.columns

    def _restrict(self, cache: _FacetCache, columns: Columns, ids: np.ndarray, scores: np.ndarray | None,
                  spec: FilterSpec) -> tuple[MatchSet, np.ndarray]:
        """The FTS5 rowids that are indexed documents passing the filters, and their positions in ``ids``."""
        rows = columns.rows_of(ids)
        packed = rows >= 0
        keep = packed.copy()
        mask = columns.mask(spec)
        if mask is not None:
            keep[packed] = mask[rows[packed]]
        loose = np.flatnonzero(~packed)
        if len(loose):
            predicate = self._predicate(cache, spec)
            extra = [p for p, d in zip(loose.tolist(), ids[loose].tolist()) if predicate(d)]
            keep[extra] = True
        pos = np.flatnonzero(keep)
        return MatchSet(ids=ids[pos], rows=rows[pos], scores=None if scores is None else scores[pos]), pos

    @staticmethod
    def _everything(cache: _FacetCache, columns: Columns, spec: FilterSpec) -> MatchSet:
        """Every indexed document passing the filters (browsing without words)."""
        live = columns.live_rows()
        mask = columns.mask(spec)
        rows = live if mask is None else live[mask[live]]
        predicate = FacetReader._predicate(cache, spec)
        loose = sorted(d for d in cache.stale if predicate(d))
        return MatchSet(
            ids=np.concatenate([columns.doc_ids[rows], np.array(loose, dtype=np.int64)]),
            rows=np.concatenate([rows.astype(np.int64), np.full(len(loose), -1, dtype=np.int64)]),
        )

    @staticmethod
    def _without(matches: MatchSet, ids: list[int]) -> MatchSet:
        keep = ~np.isin(matches.ids, np.array(ids, dtype=np.int64))
        return MatchSet(matches.ids[keep], matches.rows[keep], None if matches.scores is None else matches.scores[keep])

    @staticmethod
    def _joined(a: MatchSet, b: MatchSet) -> MatchSet:
        """Two disjoint match sets as one (for counting; scores dropped)."""
        if not len(b):
            return a
        return MatchSet(np.concatenate([a.ids, b.ids]), np.concatenate([a.rows, b.rows]))

    @staticmethod
    def _order(cache: _FacetCache, columns: Columns, matches: MatchSet, *, sort: str, upto: int) -> list[int]:
        """The first ``upto`` ids: by BM25 when scored and sorted by relevance, else by date (undated last),
        ties by id."""
        if matches.scores is not None and sort == "relevance":
            primary = matches.scores
        else:
            day = np.zeros(len(matches), dtype=np.int64)
            packed = matches.rows >= 0
            day[packed] = columns.day[matches.rows[packed]]
            loose = np.flatnonzero(~packed)
            if len(loose):
                day[loose] = [cache.dates.get(d, 0) for d in matches.ids[loose].tolist()]
            primary = np.where(day == 0, np.iinfo(np.int64).max, day) if sort == "oldest" else -day
        return matches.ids[top_k(primary, matches.ids, upto)].tolist()

    @staticmethod
    def _counts(cache: _FacetCache, columns: Columns, matches: MatchSet, *,
                everything: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The values the matches hold, as (value ids ascending, how many hold each): the packed rows counted
        by ``bincount``, documents changed since packing added from their tuples."""
        packed = matches.rows >= 0
        counted = columns.count_all() if everything else columns.count_present(matches.rows[packed])
        held = np.flatnonzero(counted)
        vids, n = columns.present[held], counted[held]
        loose = matches.ids[~packed].tolist()
        if loose:
            docvals = cache.docvals
            extra = np.fromiter(itertools.chain.from_iterable(docvals.get(d, ()) for d in loose), dtype=np.int64)
            if len(extra):
                vids, inverse = np.unique(np.concatenate([vids, extra]), return_inverse=True)
                n = np.bincount(inverse, weights=np.concatenate([n, np.ones(len(extra))]),
                                minlength=len(vids)).astype(np.int64)
        return vids, n
