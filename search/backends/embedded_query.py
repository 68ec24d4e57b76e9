"""The embedded engine's FTS5 statements: the match set as one string parsed by numpy, BM25 ranking inside
SQLite (the best k, sized by the share the filters keep), document frequencies, MATCH expressions and the
partial match of sentences (a part of ``search.backends.embedded.Backend``; see docs/search.md)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from search import analysis
from search.backends.columns import MatchSet
from search.backends.embedded_results import HIT_FIELDS
from search.backends.embedded_write import _batches

if TYPE_CHECKING:
    from search.backends.embedded import _FacetCache

#: BM25 weights in FTS5 column order: title, abstract, claims, applicants
WEIGHTS = (10.0, 4.0, 1.0, 2.0)
#: a query term found in more than this share of documents is dropped when the query has other terms
MAX_DF_SHARE = 0.25
IDF_MIN_DOCS = 1_000  # below this the shares say nothing
#: the most rows SQLite is asked to rank for a filtered query before every match is scored instead
BEST_K_LIMIT = 2_000


class MatchQueries:
    """What the engine asks FTS5; the reading side (``Backend``) supplies the snapshot's cache."""

    _cache: _FacetCache

    @staticmethod
    def _fetch_ids(conn, sql: str, params: tuple) -> np.ndarray:
        """One column of integers as one string from SQLite, parsed by numpy (no Python object per row)."""
        (text,) = conn.execute(sql, params).fetchone()
        if not text:
            return np.zeros(0, dtype=np.int64)
        return np.fromstring(text, dtype=np.int64, sep=",")

    def _match_ids(self, conn, s: str, expression: str) -> np.ndarray:
        return self._fetch_ids(conn, f"SELECT group_concat(rowid) FROM fts_{s} WHERE fts_{s} MATCH ?", (expression,))

    @staticmethod
    def _match_scored(conn, s: str, expression: str) -> tuple[np.ndarray, np.ndarray]:
        """Every matching rowid and its BM25 score (FTS5's order, ascending rowid), as two numpy arrays.

        (The LIMIT keeps SQLite from flattening the subquery: bm25() may not run inside an aggregate.)"""
        ids_text, scores_text = conn.execute(
            f"SELECT group_concat(r), group_concat(b) FROM (SELECT rowid AS r, "
            f"bm25(fts_{s}, {', '.join(map(str, WEIGHTS))}) AS b FROM fts_{s} WHERE fts_{s} MATCH ? LIMIT -1)",
            (expression,),
        ).fetchone()
        if not ids_text:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return np.fromstring(ids_text, dtype=np.int64, sep=","), np.fromstring(scores_text, dtype=np.float64, sep=",")

    def _best_kept(self, conn, s: str, expression: str, matches: MatchSet, n_all: int,
                   wanted: int, rows: dict[int, tuple] | None = None) -> list[tuple[int, float]] | None:
        """The ``wanted`` best matches by BM25 when SQLite can rank them: the best k of every match, k sized
        by the share the filters keep, then the kept ones in that order. Exact: a kept match outside the best
        k ranks below every one inside. None when k would be large or too few were kept (the caller then
        scores every match)."""
        if len(matches) >= n_all:
            if rows is None:
                return self._best_scored(conn, s, expression, wanted)
            # nothing filtered out: the best ``wanted`` are the page, read with their rows in one statement
            ranked = conn.execute(
                f"SELECT f.rowid, f.b, {HIT_FIELDS} FROM (SELECT rowid, {self._bm25(s)} AS b FROM fts_{s} "
                f"WHERE fts_{s} MATCH ? ORDER BY b, rowid LIMIT ?) f JOIN docs_{s} d ON d.id = f.rowid "
                f"ORDER BY f.b, f.rowid",
                (expression, wanted),
            ).fetchall()
            rows.update((r[0], r[2:]) for r in ranked)
            return [(r[0], r[1]) for r in ranked]
        k = min(n_all, int(wanted * n_all / len(matches) * 1.5) + 20)
        if k > BEST_K_LIMIT:
            return None
        best = self._best_scored(conn, s, expression, k)
        held = np.isin(np.array([d for d, _ in best], dtype=np.int64), matches.ids).tolist()
        best = [row for row, ok in zip(best, held) if ok]
        if len(best) < wanted and k < n_all:
            return None
        return best[:wanted]

    @staticmethod
    def _bm25(s: str) -> str:
        return f"bm25(fts_{s}, {', '.join(map(str, WEIGHTS))})"

    @staticmethod
    def _best_scored(conn, s: str, expression: str, limit: int) -> list[tuple[int, float]]:
        """The ``limit`` best (rowid, BM25) by score then rowid: SQLite ranks inside its own loop."""
        bm25 = MatchQueries._bm25(s)
        return conn.execute(
            f"SELECT rowid, {bm25} FROM fts_{s} WHERE fts_{s} MATCH ? ORDER BY {bm25}, rowid LIMIT ?",
            (expression, limit),
        ).fetchall()

    def _group_df(self, conn, s: str, groups) -> dict[str, int]:
        """Document frequencies of the groups' tokens (kept per snapshot: the vocabulary counts a term by
        walking its whole posting list)."""
        return self._df(conn, s, sorted({t for g in groups for t in g.tokens}))

    def _df(self, conn, s: str, tokens) -> dict[str, int]:
        """Document frequency of each token found in the index (kept per snapshot, see ``_group_df``)."""
        known = self._cache.df
        missing = [t for t in dict.fromkeys(tokens) if t not in known]
        for chunk in _batches(missing, 400):
            marks = ",".join("?" * len(chunk))
            found = dict(conn.execute(f"SELECT term, doc FROM vocab_{s} WHERE term IN ({marks})", chunk).fetchall())
            if len(known) > 100_000:
                known.clear()
            known.update((t, found.get(t, 0)) for t in chunk)
        return {t: n for t in tokens if (n := known.get(t, 0))}

    @staticmethod
    def _estimate(group, df: dict[str, int]) -> int:
        """Documents a group can match at most (the sum over its alternatives of their rarest token)."""
        return sum(min(df.get(t, 0) for t in alt) for alt in group.alternatives)

    def _terms(self, conn, s: str, groups, total_docs: int):
        """The groups worth matching and the estimated document frequency of the rarest.

        A single-word group found in more than ``MAX_DF_SHARE`` of the documents is dropped when the query has
        other words (an AND with it changes almost nothing, and its long posting list costs time).
        """
        df = self._group_df(conn, s, groups)
        estimates = {g.word: self._estimate(g, df) for g in groups}
        kept = groups
        if len(groups) >= 2 and total_docs >= IDF_MIN_DOCS:
            kept = tuple(g for g in groups if estimates[g.word] <= MAX_DF_SHARE * total_docs)
            if not kept:
                kept = (min(groups, key=lambda g: estimates[g.word]),)
        return kept, min(estimates[g.word] for g in kept)

    @staticmethod
    def _group_expression(group) -> str:
        alts = []
        for alt in group.alternatives:
            body = analysis.match_expression(alt)
            if body:
                alts.append(f"({body})" if len(alt) > 1 else body)
        if not alts:
            return ""
        return alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")"

    def _expression(self, groups) -> str:
        return " AND ".join(e for e in (self._group_expression(g) for g in groups) if e)

    def _number_matches(self, conn, s: str, keys) -> list[int]:
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        rows = conn.execute(f"SELECT DISTINCT doc_id FROM numbers_{s} WHERE key IN ({marks})", list(keys))
        return sorted(r[0] for r in rows)

    def _partial(self, conn, s: str, groups, min_cov: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Documents holding at least ``min_cov`` of the groups: their ids, their key (coverage first, then
        summed BM25; lower is better) and whether they hold every group."""
        id_parts, score_parts = [], []
        for group in groups:
            expression = self._group_expression(group)
            if expression:
                ids, scores = self._match_scored(conn, s, expression)
                id_parts.append(ids)
                score_parts.append(scores)
        if not id_parts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, np.zeros(0, dtype=np.float64), np.zeros(0, dtype=bool)
        unique, inverse = np.unique(np.concatenate(id_parts), return_inverse=True)
        coverage = np.bincount(inverse, minlength=len(unique))
        summed = np.bincount(inverse, weights=np.concatenate(score_parts), minlength=len(unique))
        chosen = coverage >= min_cov
        return unique[chosen], summed[chosen] - 1_000.0 * coverage[chosen], coverage[chosen] == len(groups)
