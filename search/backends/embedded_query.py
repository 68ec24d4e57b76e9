"""The embedded engine's matching: term statistics and match sets from its own postings (``postings``: FTS5's
BM25 in numpy, every match scored in one vectorised step), MATCH expressions for the FTS5 statements that
remain (autocomplete, the benchmark's floor) and patent-number lookups (a part of
``search.backends.embedded.Backend``; see docs/search.md)."""
from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from search import analysis
from search.backends.embedded_write import WEIGHTS  # noqa: F401 (kept importable from here)
from search.backends.postings import Postings, View

if TYPE_CHECKING:
    from search.backends.embedded_facets import _FacetCache

#: a query term found in more than this share of documents is dropped when the query has other terms
MAX_DF_SHARE = 0.25
IDF_MIN_DOCS = 1_000  # below this the shares say nothing


class MatchQueries:
    """What the engine asks its postings; the reading side (``Backend``) supplies the snapshot's cache."""

    _cache: _FacetCache
    _postings: Postings

    def _text(self, conn: sqlite3.Connection, s: str, tokens) -> tuple[View, dict[str, tuple]]:
        """The snapshot's postings view and the posting lists of ``tokens`` (absent tokens left out)."""
        view = self._postings.view(conn, s, self._cache.epoch, self._cache.seq)
        return view, self._postings.lists(conn, s, view, sorted(set(tokens)))

    @staticmethod
    def _estimate(group, df: dict[str, int]) -> int:
        """Documents a group can match at most (the sum over its alternatives of their rarest token)."""
        return sum(min(df.get(t, 0) for t in alt) for alt in group.alternatives)

    def _terms(self, groups, lists: dict[str, tuple], total_docs: int):
        """The groups worth matching and the estimated document frequency of the rarest.

        A single-word group found in more than ``MAX_DF_SHARE`` of the documents is dropped when the query has
        other words (an AND with it changes almost nothing, and its long posting list costs time).
        """
        df = {t: len(p[0]) for t, p in lists.items()}
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
