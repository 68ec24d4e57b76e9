"""The embedded engine: SQLite FTS5 in its own file, so it works whatever the main database is.

Layout of the file (``settings.SEARCH_INDEX_PATH``):

* ``meta``: which of the two table sets (``a``/``b``) is live, and the epoch (bumped by every rebuild);
* ``changelog``: one row per indexed or deleted document, so every process can refresh its facet arrays
  incrementally instead of reloading them;
* ``facet_values``: every facet value ever seen, integer-keyed (shared by both table sets);
* per table set ``s``: ``docs_s`` (the original text, for highlighting and hits), ``fts_s`` (FTS5 over the
  jieba/stemmer tokens: the text the postings are built from, autocomplete and the benchmark's floor),
  the postings (``post_s``, ``plen_s``, ``pdelta_s``, ``ptouched_s``: per term the documents and their
  column-weighted counts, FTS5's BM25 computed in numpy; see ``postings``), ``facet_s`` (per document:
  application date and the packed integer ids of its facet values) and ``numbers_s`` (number lookups).

A rebuild fills the idle table set and then flips ``meta.active`` in one transaction: readers keep their
snapshot of the old set until the flip (WAL), so search never goes dark. Documents written while the
rebuild ran are copied across before the flip.

Facets: each process packs every document's facet values into CSR arrays once (numpy: ``indptr`` per
document row, ``vals`` the value ids; ``embedded_facets``), then follows the changelog: a query's filters are
boolean masks and its counts one ``bincount`` over the value ids of its matching rows. Documents changed since
the packing are filtered and counted from ``doc id → tuple of value ids`` read for them alone (everything is
packed again once they are 5 % of the corpus), so a facet count is by construction what filtering by that
value returns. See docs/search.md for the figures.

The class is split by responsibility: ``embedded_write`` (schema, indexing, rebuild), ``columns`` (the packed
facet columns), ``postings`` (the posting lists and BM25), ``embedded_query`` (term statistics and
expressions), ``embedded_results`` (facet buckets and the page's hits); this module reads: snapshots, the
match set, ranking and the query methods.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import sqlite3
import threading
from collections import Counter
from pathlib import Path

import numpy as np

from search import analysis
from search.backends.columns import FilterSpec, MatchSet, top_k
from search.backends.embedded_facets import FacetReader, _FacetCache
from search.backends.embedded_query import (  # noqa: F401 (IDF_MIN_DOCS: kept importable)
    IDF_MIN_DOCS,
    MAX_DF_SHARE,
    WEIGHTS,
    MatchQueries,
)
from search.backends.embedded_results import (  # noqa: F401 (FACET_LIMIT, YEAR_INDEX: kept importable from here)
    FACET_INDEX,
    FACET_LIMIT,
    YEAR_INDEX,
    ResultBuilder,
)
from search.backends.embedded_write import (  # noqa: F401 (BATCH, CHANGELOG_KEEP, COLUMNS: kept importable)
    BATCH,
    CHANGELOG_KEEP,
    COLUMNS,
    IndexWriter,
    _batches,
)
from search.backends.postings import Postings
from search.facets import REGISTRY, ipc_levels
from search.interface import (
    MAX_PAGE_SIZE,
    Hit,
    PatentDocument,
    SearchBackend,
    SearchFilters,
    SearchQuery,
    SearchResult,
    document_fingerprint,
)
from search.understanding import (
    PARTIAL_BELOW,
    TermGroup,
    Understanding,
    apply_ipc,
    informative_groups,
    understand,
)

#: more-like-this keeps the best terms, each in at most this share of documents
MLT_TERMS = 12
MLT_MAX_DF_SHARE = 0.05
#: facets that are filters only (not reported), so that a full subgroup code can filter
FILTER_ONLY = tuple(f.name for f in REGISTRY if not f.counted)
#: a query whose rarest term is in more documents than this is "broad": counted and faceted exactly,
#: ordered by date instead of BM25 (see ``search``)
BROAD_SHARE = 0.10
BROAD_MIN_DOCS = 2_000


_ipc_levels = ipc_levels  # kept for importers of the old name


class Backend(IndexWriter, FacetReader, MatchQueries, ResultBuilder, SearchBackend):
    name = "embedded"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._cache = _FacetCache()
        self._cache_lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._writer_ids: dict[tuple[str, str], int] = {}
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._postings = Postings()
        self._ensure_schema()

    @classmethod
    def from_settings(cls, settings) -> Backend:
        return cls(settings.SEARCH_INDEX_PATH)

    # ------------------------------------------------------------------------------------------------
    # connections and schema
    # ------------------------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # writers wait up to two minutes: a compaction at a million documents holds the write lock ~33 s
            conn = sqlite3.connect(self.path, timeout=120, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-65536")
            conn.execute("PRAGMA temp_store=MEMORY")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()

    def _ensure_schema(self) -> None:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS changelog (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id INTEGER NOT NULL)"
                )
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS facet_values (id INTEGER PRIMARY KEY, facet TEXT NOT NULL, "
                    "value TEXT NOT NULL, UNIQUE (facet, value))"
                )
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('active', 'a'), ('epoch', '1')")
                active = conn.execute("SELECT value FROM meta WHERE key='active'").fetchone()[0]
                self._create_tables(conn, active)
                self._build_postings_if_missing(conn, active)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------------------------------------
    # reading
    # ------------------------------------------------------------------------------------------------
    def _read(self):
        return _ReadTxn(self._conn())

    def count(self) -> int:
        with self._read() as conn:
            s = self._state(conn)[0]
            return conn.execute(f"SELECT count(*) FROM docs_{s}").fetchone()[0]

    def search(self, query: SearchQuery) -> SearchResult:
        page_size = max(1, min(int(query.page_size), MAX_PAGE_SIZE))
        page = max(1, int(query.page))
        u: Understanding | None = understand(query.text) if query.text.strip() else None
        filters, ipc_from_query = apply_ipc(query.filters, u) if u is not None else (query.filters, "")
        words: tuple[str, ...] = u.words if u else ()
        dropped_words: tuple[str, ...] = u.dropped if u else ()

        def empty() -> SearchResult:
            return SearchResult(total=0, hits=[], facets=self._empty_facets() if query.facets else {},
                                page=page, page_size=page_size, words=words, dropped_words=dropped_words,
                                ipc_from_query=ipc_from_query)

        with self._read() as conn:
            s, cache = self._refresh(conn)
            spec = self._filter_spec(cache, filters)
            if spec is None:
                return empty()
            if u is not None and not u.groups and not u.numbers and not ipc_from_query:
                return empty()
            columns = self._columns(cache)
            none = np.zeros(0, dtype=np.int64)
            matches = MatchSet(none, none)
            scores: dict[int, float] = {}
            tokens: tuple[str, ...] = ()
            upto = page * page_size
            partial = False
            everything = False
            by_number: list[int] = []
            numbered = MatchSet(none, none)
            if u is not None and u.numbers:
                named = np.array(self._number_matches(conn, s, u.numbers), dtype=np.int64)
                numbered = self._restrict(cache, columns, named, None, spec)[0]
                by_number = numbered.ids.tolist()
            if u is not None and u.groups:
                view, lists = self._text(conn, s, (t for g in u.groups for t in g.tokens))
                groups, rarest = self._terms(u.groups, lists, view.n_docs)
                tokens = tuple(dict.fromkeys(t for g in groups for t in g.tokens))
                broad = rarest > max(BROAD_MIN_DOCS, BROAD_SHARE * view.n_docs)
                informative = informative_groups(dataclasses.replace(u, groups=groups))
                ids = Postings.match(lists, groups, view.top)
                if broad:
                    # Boilerplate alone (一种, 方法…) matches a large share of the corpus and BM25 carries no
                    # information there: count and facet exactly, order newest first, skip scoring.
                    matches, _ = self._restrict(cache, columns, ids, None, spec)
                elif len(ids) < PARTIAL_BELOW and len(informative) >= 2 and not u.only_stopwords:
                    # Few documents hold every word (filters aside, so facet counts stay filter totals):
                    # show those holding at least half of the informative words, full matches first.
                    min_cov = max(1, math.ceil(len(informative) / 2))
                    ids, key, full = Postings.partial(lists, view, informative, min_cov)
                    matches, pos = self._restrict(cache, columns, ids, key, spec)
                    partial = bool(len(pos)) and not bool(full[pos].all())
                else:
                    # every match scored (FTS5's BM25, vectorised); the filters are boolean masks
                    matches, _ = self._restrict(cache, columns, ids, Postings.scores(lists, view, ids, tokens), spec)
            elif u is not None and not by_number:
                # only an IPC code was typed: browse that field
                matches = self._everything(cache, columns, spec)
            elif u is None:
                matches = self._everything(cache, columns, spec)
                everything = spec.empty
            if by_number:
                # a patent named by its number comes first, then whatever the rest of the query finds
                if matches.scores is not None:
                    held = np.isin(matches.ids, np.array(by_number, dtype=np.int64))
                    scores.update(zip(matches.ids[held].tolist(), matches.scores[held].tolist()))
                for d in by_number:
                    scores.setdefault(d, -1e6)
                matches = self._without(matches, by_number)
                everything = False
            order = by_number + self._order(cache, columns, matches, sort=query.sort, upto=upto)
            total = len(matches) + len(by_number)
            facets = {}
            if query.facets:
                facets = self._facet_lists(
                    cache, *self._counts(cache, columns, self._joined(matches, numbered), everything=everything)
                )
            start = (page - 1) * page_size
            page_ids = order[start : start + page_size]
            if matches.scores is not None and page_ids:
                on_page = np.isin(matches.ids, np.array(page_ids, dtype=np.int64))
                for d, score in zip(matches.ids[on_page].tolist(), matches.scores[on_page].tolist()):
                    scores.setdefault(d, score)
            hits = self._hits(conn, s, page_ids, scores, tokens, highlight=query.highlight)
        return SearchResult(total=total, hits=hits, facets=facets, page=page, page_size=page_size, partial=partial,
                            words=words, dropped_words=dropped_words, ipc_from_query=ipc_from_query,
                            numbers_found=tuple(by_number))

    def document(self, patent_id: int) -> PatentDocument | None:
        """The stored document (used by more-like-this and by tests)."""
        with self._read() as conn:
            s = self._state(conn)[0]
            row = conn.execute(f"SELECT * FROM docs_{s} WHERE id=?", (patent_id,)).fetchone()
        if row is None:
            return None
        return self._document_of(row)

    def fingerprints(self) -> dict[int, str]:
        with self._read() as conn:
            s = self._state(conn)[0]
            rows = conn.execute(f"SELECT * FROM docs_{s}").fetchall()
        return {row[0]: document_fingerprint(self._document_of(row)) for row in rows}

    @staticmethod
    def _document_of(row) -> PatentDocument:
        return PatentDocument(
            id=row[0],
            publication_number=row[1],
            title=row[2],
            abstract=row[3],
            claims=row[4],
            applicants=tuple(json.loads(row[5])),
            inventors=tuple(json.loads(row[6])),
            ipc_codes=tuple(json.loads(row[7])),
            zones=tuple(json.loads(row[8])),
            industries=tuple(json.loads(row[9])),
            legal_status=row[10],
            kind=row[11],
            application_date=dt.date.fromisoformat(row[12]) if row[12] else None,
            listed=bool(row[13]),
        )

    def autocomplete(self, prefix: str, *, field: str = "title", limit: int = 10) -> list[str]:
        limit = max(1, min(int(limit), 50))
        text = (prefix or "").strip()[:100]
        if not text:
            return []
        if field == "applicant":
            return self._complete_applicant(text, limit)
        if field != "title":
            raise ValueError(f"autocomplete field must be 'title' or 'applicant', not {field!r}")
        tokens = analysis.query_tokens(text).all_tokens
        if not tokens:
            return []
        expression = analysis.match_expression(tokens, columns=("title",), prefix_last=True)
        with self._read() as conn:
            s = self._state(conn)[0]
            rows = conn.execute(
                f"SELECT d.title FROM (SELECT rowid FROM fts_{s} WHERE fts_{s} MATCH ? ORDER BY rank LIMIT ?) f "
                f"JOIN docs_{s} d ON d.id = f.rowid",
                (expression, limit * 5),
            ).fetchall()
        wanted = analysis.normalise(text)
        titles = list(dict.fromkeys(r[0] for r in rows))
        titles.sort(key=lambda t: (not analysis.normalise(t).startswith(wanted), wanted not in analysis.normalise(t)))
        return titles[:limit]

    def _complete_applicant(self, text: str, limit: int) -> list[str]:
        wanted = analysis.normalise(text)
        with self._read() as conn:
            _, cache = self._refresh(conn)
            counts = self._applicant_counts(cache)
        starts = [(n, name) for name, n in counts.items() if analysis.normalise(name).startswith(wanted)]
        contains = [(n, name) for name, n in counts.items() if wanted in analysis.normalise(name)] if len(starts) < limit else []
        ranked = [name for _, name in sorted(starts, key=lambda x: (-x[0], x[1]))]
        ranked += [name for _, name in sorted(contains, key=lambda x: (-x[0], x[1])) if name not in ranked]
        return ranked[:limit]

    @staticmethod
    def _applicant_counts(cache: _FacetCache) -> dict[str, int]:
        columns = Backend._columns(cache)
        vids, counts = Backend._counts(cache, columns, Backend._everything(cache, columns, FilterSpec()),
                                       everything=True)
        values = cache.values
        return {values[vid][1]: n for vid, n in zip(vids.tolist(), counts.tolist()) if values[vid][0] == "applicant"}

    def more_like_this(
        self,
        *,
        patent_id: int | None = None,
        text: str = "",
        filters: SearchFilters | None = None,
        limit: int = 10,
    ) -> list[Hit]:
        """The documents sharing the most distinctive terms (TF·IDF picks the terms, BM25 ranks the hits)."""
        limit = max(1, min(int(limit), MAX_PAGE_SIZE))
        source = ""
        if patent_id is not None:
            doc = self.document(patent_id)
            if doc is None:
                return []
            source = " ".join([doc.title, doc.title, doc.abstract, doc.claims])
        source = f"{source} {text}".strip()
        if not source:
            return []
        tf = Counter(
            t
            for t in analysis.index_tokens(source[:20_000])
            if t not in analysis.CJK_STOPWORDS and t not in analysis.EN_STOPWORDS and (len(t) > 1 or not analysis.is_cjk(t))
        )
        if not tf:
            return []
        with self._read() as conn:
            s, cache = self._refresh(conn)
            spec = self._filter_spec(cache, filters or SearchFilters())
            if spec is None:
                return []
            candidates = list(tf)[:400]
            view, lists = self._text(conn, s, candidates)
            n_docs = max(1, view.n_docs)
            df = {t: len(lists[t][0]) for t in candidates if t in lists}
            scored = [
                (tf[t] * math.log(1 + n_docs / df[t]), t)
                for t in candidates
                if t in df and (df[t] <= MLT_MAX_DF_SHARE * n_docs or n_docs < 200)
            ]
            terms = [t for _, t in sorted(scored, reverse=True)[:MLT_TERMS]]
            if not terms:
                return []
            # any of the terms (one group of single-token alternatives), ranked by their summed BM25
            ids = Postings.match(lists, (TermGroup("", tuple((t,) for t in terms)),), view.top)
            columns = self._columns(cache)
            matches, _ = self._restrict(cache, columns, ids, Postings.scores(lists, view, ids, terms), spec)
            if patent_id is not None:
                matches = self._without(matches, [patent_id])
            if not len(matches):
                return []
            assert matches.scores is not None
            chosen = top_k(matches.scores, matches.ids, limit)
            ranked = list(zip(matches.ids[chosen].tolist(), matches.scores[chosen].tolist()))
            return self._hits(conn, s, [d for d, _ in ranked], dict(ranked), tuple(terms), highlight=True)

    # the raw floor used by the benchmark: FTS5 MATCH of the same expanded terms and BM25 order, nothing else
    def raw_match(self, text: str, limit: int = 20) -> list[int]:
        """The floor: the MATCH expression ``search`` builds for ``text`` (stop-words out, synonym groups
        expanded, near-universal terms dropped), ordered by BM25, first ``limit`` rowids; no filter, count,
        partial matching, facets or highlights."""
        u = understand(text) if text.strip() else None
        if u is None or not u.groups:
            return []
        with self._read() as conn:
            s, _cache = self._refresh(conn)
            view, lists = self._text(conn, s, (t for g in u.groups for t in g.tokens))
            groups, _rarest = self._terms(u.groups, lists, view.n_docs)
            expression = self._expression(groups)
            if not expression:
                return []
            return [
                r[0]
                for r in conn.execute(
                    f"SELECT rowid FROM fts_{s} WHERE fts_{s} MATCH ? "
                    f"ORDER BY bm25(fts_{s}, {', '.join(map(str, WEIGHTS))}) LIMIT ?",
                    (expression, limit),
                )
            ]


class _ReadTxn:
    """A read transaction: one consistent snapshot for the state check, MATCH and hit rows."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.nested = conn.in_transaction

    def __enter__(self) -> sqlite3.Connection:
        if not self.nested:
            self.conn.execute("BEGIN")
        return self.conn

    def __exit__(self, *exc) -> None:
        if not self.nested and self.conn.in_transaction:
            self.conn.execute("COMMIT")
