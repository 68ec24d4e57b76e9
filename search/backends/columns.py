"""The embedded engine's facet columns: every document's facet values, date and year as numpy arrays by row.

Why: at a million patents a query can match tens of thousands of documents, and any Python step per matching
document (a filter test, a dictionary lookup, a heap push) costs more than SQLite's own MATCH. With the values
packed by row, a match set is filtered with one boolean mask per filter, counted with one ``bincount`` over the
value ids of its rows, and ordered with ``argpartition`` on a key array.

Layout (rows in doc-id order):

* ``doc_ids`` (row → doc id) and ``row_of`` (doc id → row, -1: none; a dense array while ids are not sparse,
  else a binary search over ``doc_ids``);
* ``day`` (date ordinal, 0 = unknown) and ``year`` per row;
* the counted values in CSR form: row r holds ``vals[indptr[r]:indptr[r + 1]]``, ``val_rows`` the row of each
  entry (so the rows holding one value are found with one comparison); the filter-only values (IPC subgroups)
  the same way;
* ``stale``: rows changed since packing. They answer "no row" (-1), and the engine counts and filters those
  documents from its per-document tuples instead, so a count is by construction what filtering returns.

A ``MatchSet`` is what one query matched after filtering: doc ids, their rows (-1 for documents taken from the
tuples) and their BM25 scores (or ``None`` when the query is ordered by date).
"""
from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

#: masks kept per process (one boolean per document each)
MASK_CACHE = 64
#: a dense doc id → row array is used while the largest id is at most this many times the number of rows
DENSE_FACTOR = 8


@dataclass(frozen=True)
class FilterSpec:
    """What a ``SearchFilters`` requires, in value ids (counted and filter-only), years and ids."""

    required: tuple[int, ...] = ()
    required_extra: tuple[int, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    ids: frozenset[int] | None = None

    @property
    def empty(self) -> bool:
        return not (self.required or self.required_extra or self.ids is not None
                    or self.year_from is not None or self.year_to is not None)

    def key(self) -> tuple:
        return (self.required, self.required_extra, self.year_from, self.year_to,
                None if self.ids is None else hash(self.ids))


@dataclass
class MatchSet:
    ids: np.ndarray  # int64 doc ids
    rows: np.ndarray  # int64 rows in the columns, -1: counted from the tuples
    scores: np.ndarray | None = None  # float64 (lower is better), aligned with ids

    def __len__(self) -> int:
        return len(self.ids)


def _csr(values: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(values)
    lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    vals = np.fromiter(itertools.chain.from_iterable(values), dtype=np.int32, count=int(indptr[-1]))
    val_rows = np.repeat(np.arange(n, dtype=np.int32), lengths)
    return indptr, vals, val_rows


class Columns:
    """The packed snapshot (see the module docstring). Built from the engine's per-document dictionaries."""

    def __init__(self, *, doc_ids: np.ndarray, day: np.ndarray, year: np.ndarray,
                 counted: tuple[np.ndarray, np.ndarray, np.ndarray], extra: tuple[np.ndarray, np.ndarray, np.ndarray],
                 n_values: int):
        n = len(doc_ids)
        self.n_values = n_values
        self.doc_ids = doc_ids
        self.day = day
        self.year = year
        self.indptr, self.vals, self.val_rows = counted
        # the counted value ids present, and every entry as an index into them: a query's counts are then a
        # bincount over a few thousand slots, not over every value id ever seen (IPC subgroups included)
        self.present = np.unique(self.vals).astype(np.int64)
        self.cvals = np.searchsorted(self.present, self.vals).astype(np.int32)
        _, self.x_vals, self.x_val_rows = extra
        top = int(self.doc_ids[-1]) if n else 0
        self.row_of: np.ndarray | None = None
        if top <= DENSE_FACTOR * n + 1_000_000:
            self.row_of = np.full(top + 1, -1, dtype=np.int64)
            self.row_of[self.doc_ids] = np.arange(n, dtype=np.int64)
        self.stale = np.zeros(n, dtype=bool)
        self._postings: dict[tuple[bool, int], np.ndarray] = {}
        self._masks: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._by_date: dict[bool, np.ndarray] = {}
        self._all_counts: np.ndarray | None = None

    @classmethod
    def from_dicts(cls, docvals: dict[int, tuple[int, ...]], filter_only: dict[int, tuple[int, ...]],
                   dates: dict[int, int], years: dict[int, int], n_values: int) -> Columns:
        """From per-document tuples (value ids), dates and years."""
        ids = sorted(docvals)
        n = len(ids)
        return cls(
            doc_ids=np.fromiter(ids, dtype=np.int64, count=n),
            day=np.fromiter((dates.get(d, 0) for d in ids), dtype=np.int32, count=n),
            year=np.fromiter((years.get(d, 0) for d in ids), dtype=np.int32, count=n),
            counted=_csr([docvals[d] for d in ids]),
            extra=_csr([filter_only.get(d, ()) for d in ids]),
            n_values=n_values,
        )

    @classmethod
    def from_blobs(cls, doc_ids: np.ndarray, days: np.ndarray, blobs: list[bytes], facet_of: np.ndarray,
                   n_values: int) -> Columns:
        """Straight from the index's ``facet`` rows (ascending doc id; each row's value ids as int32 bytes),
        with no Python object per value: the counted values and the filter-only ones split by ``facet_of``."""
        n = len(doc_ids)
        lengths = np.fromiter((len(b) for b in blobs), dtype=np.int64, count=n) // 4
        values = np.frombuffer(b"".join(blobs), dtype=np.int32) if n else np.zeros(0, dtype=np.int32)
        rows = np.repeat(np.arange(n, dtype=np.int32), lengths)
        is_counted = facet_of[values] >= 0 if len(values) else np.zeros(0, dtype=bool)

        def csr(keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows[keep], minlength=n), out=indptr[1:])
            return indptr, values[keep].copy(), rows[keep].copy()

        day = days.astype(np.int32)
        # date ordinal → year, vectorised (ordinal 719163 is 1970-01-01); 0 stays "unknown"
        year = (np.array(days.astype(np.int64) - 719_163, dtype="datetime64[D]").astype("datetime64[Y]")
                .astype(np.int64) + 1970).astype(np.int32)
        year[day == 0] = 0
        return cls(doc_ids=doc_ids.astype(np.int64), day=day, year=year, counted=csr(is_counted),
                   extra=csr(~is_counted), n_values=n_values)

    def __len__(self) -> int:
        return len(self.doc_ids)

    # -- rows -------------------------------------------------------------------------------------------
    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        """The row of each doc id (-1: not packed, or changed since packing)."""
        n = len(self.doc_ids)
        if not n or not len(ids):
            return np.full(len(ids), -1, dtype=np.int64)
        if self.row_of is not None:
            inside = (ids >= 0) & (ids < len(self.row_of))
            rows = np.full(len(ids), -1, dtype=np.int64)
            rows[inside] = self.row_of[ids[inside]]
        else:
            pos = np.searchsorted(self.doc_ids, ids)
            pos[pos >= n] = n - 1
            rows = np.where(self.doc_ids[pos] == ids, pos, -1)
        found = rows >= 0
        if found.any():
            stale = np.zeros(len(rows), dtype=bool)
            stale[found] = self.stale[rows[found]]
            rows[stale] = -1
        return rows

    def mark_stale(self, doc_ids) -> None:
        ids = np.fromiter(doc_ids, dtype=np.int64)
        if len(ids) and len(self.doc_ids):
            self.stale[self._exact(ids)] = True
        self._by_date.clear()
        self._all_counts = None

    def _exact(self, ids: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.doc_ids, ids)
        inside = pos < len(self.doc_ids)
        pos, ids = pos[inside], ids[inside]
        return pos[self.doc_ids[pos] == ids]

    def live_rows(self) -> np.ndarray:
        return np.flatnonzero(~self.stale)

    # -- filters ----------------------------------------------------------------------------------------
    def _posting(self, vid: int, extra: bool) -> np.ndarray:
        key = (extra, vid)
        rows = self._postings.get(key)
        if rows is None:
            vals, val_rows = (self.x_vals, self.x_val_rows) if extra else (self.vals, self.val_rows)
            rows = self._postings[key] = val_rows[vals == vid]
        return rows

    def mask(self, spec: FilterSpec) -> np.ndarray | None:
        """A boolean per row: the row passes every filter (None: no filter)."""
        if spec.empty:
            return None
        key = spec.key()
        found = self._masks.get(key)
        if found is not None:
            self._masks.move_to_end(key)
            return found
        mask = np.ones(len(self.doc_ids), dtype=bool)
        for vid in spec.required:
            hit = np.zeros(len(mask), dtype=bool)
            hit[self._posting(vid, False)] = True
            mask &= hit
        for vid in spec.required_extra:
            hit = np.zeros(len(mask), dtype=bool)
            hit[self._posting(vid, True)] = True
            mask &= hit
        if spec.year_from is not None or spec.year_to is not None:
            mask &= self.year > 0
            if spec.year_from is not None:
                mask &= self.year >= spec.year_from
            if spec.year_to is not None:
                mask &= self.year <= spec.year_to
        if spec.ids is not None:
            mask &= np.isin(self.doc_ids, np.fromiter(spec.ids, dtype=np.int64, count=len(spec.ids)))
        self._masks[key] = mask
        while len(self._masks) > MASK_CACHE:
            self._masks.popitem(last=False)
        return mask

    # -- counting ---------------------------------------------------------------------------------------
    def count(self, rows: np.ndarray) -> np.ndarray:
        """How many of ``rows`` hold each value id (an array indexed by value id)."""
        counts = np.zeros(self.n_values, dtype=np.int64)
        counts[self.present] = self.count_present(rows)
        return counts

    def count_present(self, rows: np.ndarray) -> np.ndarray:
        """How many of ``rows`` hold each value of ``present`` (aligned with it)."""
        slots = len(self.present)
        if not len(rows):
            return np.zeros(slots, dtype=np.int64)
        if len(rows) * 4 > len(self.doc_ids):
            # a large share of the corpus: one pass over every entry is cheaper than gathering
            take = np.zeros(len(self.doc_ids), dtype=bool)
            take[rows] = True
            return np.bincount(self.cvals[take[self.val_rows]], minlength=slots)
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        total = int(lengths.sum())
        if not total:
            return np.zeros(slots, dtype=np.int64)
        # the position of every value of every row, without a loop: each row's start repeated per value,
        # plus the running offset inside the row
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total, dtype=np.int64)
        return np.bincount(self.cvals[offsets], minlength=slots)

    def count_all(self) -> np.ndarray:
        """The counts over every live row, aligned with ``present`` (cached until a document changes)."""
        if self._all_counts is None:
            self._all_counts = self.count_present(self.live_rows())
        return self._all_counts

    # -- order ------------------------------------------------------------------------------------------
    def by_date(self, newest: bool) -> np.ndarray:
        """Every live row, newest (or oldest) first, undated last, ties by doc id."""
        order = self._by_date.get(newest)
        if order is None:
            live = self.live_rows()
            day = self.day[live].astype(np.int64)
            key = -day if newest else np.where(day == 0, np.iinfo(np.int64).max, day)
            order = self._by_date[newest] = live[np.lexsort((self.doc_ids[live], key))]
        return order


def top_k(primary: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` smallest ``(primary, id)`` pairs, in that order (exact on ties)."""
    n = len(primary)
    if not n or k <= 0:
        return np.zeros(0, dtype=np.int64)
    if n > k:
        threshold = primary[np.argpartition(primary, k - 1)[:k]].max()
        candidates = np.flatnonzero(primary <= threshold)
    else:
        candidates = np.arange(n)
    order = np.lexsort((ids[candidates], primary[candidates]))
    return candidates[order[:k]]
