"""The embedded engine's result page: facet buckets from per-snapshot arrays and the page's hits with
their highlighted fields (a part of ``search.backends.embedded.Backend``; see docs/search.md)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from search import analysis
from search.interface import FACETS, FacetBuckets, FacetValue, Hit

if TYPE_CHECKING:
    from search.backends.embedded_facets import _FacetCache

#: each counted facet's values returned, most documents first (application years: all)
FACET_LIMIT = 200
FACET_INDEX = {name: i for i, name in enumerate(FACETS)}
YEAR_INDEX = FACET_INDEX["application_year"]
#: what a hit shows, read from ``docs_s d`` (applicants joined by SQLite, not parsed per hit in Python)
HIT_FIELDS = ("d.publication_number, d.title, d.abstract, d.claims, "
              "(SELECT group_concat(value, '；') FROM json_each(d.applicants))")


class ResultBuilder:
    """Builds what ``search`` returns from a match set: facet buckets and hits."""

    @staticmethod
    def _empty_facets() -> dict[str, Sequence[FacetValue]]:
        return {name: [] for name in FACETS}

    @staticmethod
    def _facet_arrays(cache: _FacetCache) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per snapshot of the value table (value ids only grow, and an id's value never changes): the
        counted value ids ordered by facet then value (string order), their facet index, each value id's
        label (its value string) and each value id's position in that order."""
        if cache.facet_array is None or len(cache.facet_array[2]) != len(cache.values):
            values = cache.values
            facet_of = np.array(cache.facet_of, dtype=np.int64)
            labels = np.array([v for _, v in values], dtype=object)
            counted = np.flatnonzero(facet_of >= 0)
            strings = [values[vid][1] for vid in counted.tolist()]
            by_value = counted[np.array(sorted(range(len(counted)), key=strings.__getitem__), dtype=np.int64)]
            ordered = by_value[np.argsort(facet_of[by_value], kind="stable")]
            position = np.full(len(values), len(values), dtype=np.int64)  # uncounted values sort last
            position[ordered] = np.arange(len(ordered), dtype=np.int64)
            cache.facet_array = (ordered, facet_of[ordered], labels, position)
        return cache.facet_array

    @staticmethod
    def _facet_lists(cache: _FacetCache, held: np.ndarray, held_n: np.ndarray) -> dict[str, Sequence[FacetValue]]:
        """Each counted facet's values, most documents first then by value (years newest first), at most
        ``FACET_LIMIT`` (years all); every count exact. One stable sort over the values present; the
        ``FacetValue`` objects are built when read (``FacetBuckets``)."""
        ordered, facet_index, labels, position = ResultBuilder._facet_arrays(cache)
        # the values held (usually a few hundred), put in the static order
        pos = position[held]
        by_pos = np.argsort(pos, kind="stable")
        by_pos = by_pos[: np.searchsorted(pos[by_pos], len(ordered))]
        at = pos[by_pos]
        vids, facet, n = ordered[at], facet_index[at], held_n[by_pos]
        # within a facet: most documents first, ties in value order (the static order); years by value only
        key = facet * (int(n.max(initial=0)) + 1) - np.where(facet == YEAR_INDEX, 0, n)
        order = np.argsort(key, kind="stable")
        vids, facet, n = vids[order], facet[order], n[order]
        bounds = np.searchsorted(facet, np.arange(len(FACETS) + 1)).tolist()
        out: dict[str, Sequence[FacetValue]] = {}
        for index, name in enumerate(FACETS):
            lo, hi = bounds[index], bounds[index + 1]
            part = slice(hi - 1, lo - 1 if lo else None, -1) if index == YEAR_INDEX else slice(lo, min(hi, lo + FACET_LIMIT))
            out[name] = FacetBuckets(labels[vids[part]].tolist(), n[part].tolist())
        return out

    def _hits(self, conn, s: str, ids: list[int], scores: dict[int, float], tokens, *,
              highlight: bool) -> list[Hit]:
        """The page's hits in ``ids`` order, from one ``SELECT`` of their rows (applicants joined by SQLite);
        only non-empty fields are highlighted, with the query's pattern compiled once (``analysis``)."""
        if not ids:
            return []
        rows = {
            r[0]: r[1:]
            for r in conn.execute(
                f"SELECT d.id, {HIT_FIELDS} FROM docs_{s} d WHERE d.id IN ({','.join('?' * len(ids))})", ids
            )
        }
        hits = []
        mark = highlight and bool(tokens)
        for doc_id in ids:
            row = rows.get(doc_id)
            if row is None:
                continue
            number, title, abstract, claims, applicants = row
            highlights: dict[str, str] = {}
            matched: set[str] = set()
            if mark:
                for name, text, fragment in (
                    ("title", title, None),
                    ("abstract", abstract, 160),
                    ("claims", claims, 160),
                    ("applicants", applicants, None),
                ):
                    if not text:
                        continue
                    snippet, found = analysis.highlight(text, tokens, fragment=fragment)
                    if snippet:
                        highlights[name] = snippet
                        matched |= found
            hits.append(
                Hit(
                    id=doc_id,
                    publication_number=number,
                    title=title,
                    score=-scores[doc_id] if doc_id in scores else 0.0,
                    highlights=highlights,
                    matched_terms=tuple(t for t in tokens if t in matched) if matched else (),
                )
            )
        return hits
