"""The writing side of the engine's postings (see ``search.backends.postings``): the tables, the delta kept
for documents written since the last build, and the build itself, from the FTS5 table's own text."""
from __future__ import annotations

import sqlite3
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

#: a build is due once the documents touched since the last one are this share of the main documents
COMPACT_SHARE = 0.05
COMPACT_MIN = 2_000
#: rows read from FTS5 per step while building
BUILD_CHUNK = 20_000
EMPTY = np.zeros(0, dtype=np.int64)


def create_tables(conn: sqlite3.Connection, s: str) -> None:
    conn.execute(f"CREATE TABLE IF NOT EXISTS post_{s} (term TEXT PRIMARY KEY, n INTEGER NOT NULL, "
                 "ids BLOB NOT NULL, wtf BLOB NOT NULL) WITHOUT ROWID")
    conn.execute(f"CREATE TABLE IF NOT EXISTS plen_{s} (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
    conn.execute(f"CREATE TABLE IF NOT EXISTS pdelta_{s} (term TEXT NOT NULL, doc_id INTEGER NOT NULL, "
                 "wtf REAL NOT NULL, PRIMARY KEY (term, doc_id)) WITHOUT ROWID")
    conn.execute(f"CREATE INDEX IF NOT EXISTS pdelta_{s}_doc ON pdelta_{s} (doc_id)")
    conn.execute(f"CREATE TABLE IF NOT EXISTS ptouched_{s} (doc_id INTEGER PRIMARY KEY, len INTEGER NOT NULL)")


TABLES = ("post", "plen", "pdelta", "ptouched")


def drop_tables(conn: sqlite3.Connection, s: str) -> None:
    for table in TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}_{s}")


def doc_terms(texts: Sequence[str], weights: Sequence[float]) -> tuple[dict[str, float], int]:
    """One document's weighted term frequencies and its token count, from its FTS5 column texts (tokens
    separated by spaces, exactly what FTS5's tokenizer splits)."""
    wtf: dict[str, float] = {}
    length = 0
    for text, weight in zip(texts, weights):
        if not text:
            continue
        tokens = text.split()
        length += len(tokens)
        for term, count in Counter(tokens).items():
            wtf[term] = wtf.get(term, 0.0) + weight * count
    return wtf, length


# ------------------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------------------
def write_delta(conn: sqlite3.Connection, s: str, rows: Iterable[tuple[int, Sequence[str]]],
                weights: Sequence[float]) -> None:
    """Documents (id, column texts) written since the build: their delta rows replace any earlier ones."""
    delta: list[tuple[str, int, float]] = []
    touched: list[tuple[int, int]] = []
    for doc_id, texts in rows:
        wtf, length = doc_terms(texts, weights)
        delta.extend((term, doc_id, f) for term, f in wtf.items())
        touched.append((doc_id, length))
    conn.executemany(f"DELETE FROM pdelta_{s} WHERE doc_id=?", [(d,) for d, _ in touched])
    conn.executemany(f"INSERT OR REPLACE INTO pdelta_{s} VALUES (?, ?, ?)", delta)
    conn.executemany(f"INSERT OR REPLACE INTO ptouched_{s} VALUES (?, ?)", touched)


def write_deleted(conn: sqlite3.Connection, s: str, doc_ids: Iterable[int]) -> None:
    ids = [(d,) for d in doc_ids]
    conn.executemany(f"DELETE FROM pdelta_{s} WHERE doc_id=?", ids)
    conn.executemany(f"INSERT OR REPLACE INTO ptouched_{s} VALUES (?, -1)", ids)


def compaction_due(conn: sqlite3.Connection, s: str) -> bool:
    (touched,) = conn.execute(f"SELECT count(*) FROM ptouched_{s}").fetchone()
    return touched > max(COMPACT_MIN, COMPACT_SHARE * _main_count(conn, s))


def _main_count(conn: sqlite3.Connection, s: str) -> int:
    row = conn.execute(f"SELECT length(value) / 4 FROM plen_{s} WHERE key='ids'").fetchone()
    return int(row[0]) if row else 0


def needs_build(conn: sqlite3.Connection, s: str) -> bool:
    """True for an index written before the postings existed (documents, but no generation)."""
    if conn.execute(f"SELECT 1 FROM plen_{s} WHERE key='gen'").fetchone():
        return False
    return conn.execute(f"SELECT 1 FROM fts_{s} LIMIT 1").fetchone() is not None


class Builder:
    """Main postings accumulated one document at a time (a rebuild feeds it as it writes its batches, so no
    second pass over the text is needed), then sorted by term and written at once."""

    def __init__(self, weights: Sequence[float]):
        self.weights = weights
        self.term_ids: dict[str, int] = {}
        self.post_term, self.post_doc, self.post_wtf = array("i"), array("i"), array("f")
        self.doc_ids, self.doc_lens = array("i"), array("i")
        self.seen: set[int] = set()
        self.repeated: set[int] = set()  # fed twice: the FTS5 table's final text goes to the delta instead
        self.ascending = True

    def add(self, doc_id: int, texts: Sequence[str]) -> None:
        if doc_id in self.seen:
            self.repeated.add(doc_id)
        elif self.doc_ids and doc_id < self.doc_ids[-1]:
            self.ascending = False
        self.seen.add(doc_id)
        wtf, length = doc_terms(texts, self.weights)
        self.doc_ids.append(doc_id)
        self.doc_lens.append(length)
        term_ids, post_term, post_doc, post_wtf = self.term_ids, self.post_term, self.post_doc, self.post_wtf
        for term, f in wtf.items():
            tid = term_ids.get(term)
            if tid is None:
                tid = term_ids[term] = len(term_ids)
            post_term.append(tid)
            post_doc.append(doc_id)
            post_wtf.append(f)

    def write(self, conn: sqlite3.Connection, s: str, columns: Sequence[str]) -> int:
        """Replace table set ``s``'s main postings (inside the caller's write transaction) and clear its
        delta. Returns the number of documents in the main postings."""
        terms = np.frombuffer(self.post_term, dtype=np.int32) if self.post_term else np.zeros(0, dtype=np.int32)
        docs = np.frombuffer(self.post_doc, dtype=np.int32) if self.post_doc else np.zeros(0, dtype=np.int32)
        wtfs = np.frombuffer(self.post_wtf, dtype=np.float32) if self.post_wtf else np.zeros(0, dtype=np.float32)
        doc_ids = np.frombuffer(self.doc_ids, dtype=np.int32) if self.doc_ids else np.zeros(0, dtype=np.int32)
        doc_lens = np.frombuffer(self.doc_lens, dtype=np.int32) if self.doc_lens else np.zeros(0, dtype=np.int32)
        if self.repeated:
            twice = np.array(sorted(self.repeated), dtype=np.int32)
            keep = ~np.isin(docs, twice)
            terms, docs, wtfs = terms[keep], docs[keep], wtfs[keep]
            keep = ~np.isin(doc_ids, twice)
            doc_ids, doc_lens = doc_ids[keep], doc_lens[keep]
        if self.ascending:
            order = np.argsort(terms, kind="stable")  # fed by ascending id: each list stays ascending
        else:
            order = np.lexsort((docs, terms))
            by_id = np.argsort(doc_ids, kind="stable")
            doc_ids, doc_lens = doc_ids[by_id], doc_lens[by_id]
        terms, docs, wtfs = terms[order], docs[order], wtfs[order]
        bounds = np.flatnonzero(np.diff(terms)) + 1
        starts = np.concatenate([[0], bounds]).astype(np.int64) if len(terms) else EMPTY
        ends = np.concatenate([bounds, [len(terms)]]).astype(np.int64) if len(terms) else EMPTY
        names = list(self.term_ids)
        for table in ("post", "pdelta", "ptouched"):
            conn.execute(f"DELETE FROM {table}_{s}")
        conn.executemany(
            f"INSERT INTO post_{s} VALUES (?, ?, ?, ?)",
            (
                (names[int(terms[a])], int(b - a), docs[a:b].tobytes(), wtfs[a:b].tobytes())
                for a, b in zip(starts.tolist(), ends.tolist())
            ),
        )
        (gen,) = conn.execute(
            f"SELECT coalesce((SELECT CAST(value AS INTEGER) FROM plen_{s} WHERE key='gen'), 0)"
        ).fetchone()
        conn.executemany(
            f"INSERT OR REPLACE INTO plen_{s} VALUES (?, ?)",
            [("ids", doc_ids.tobytes()), ("lens", doc_lens.tobytes()), ("gen", str(gen + 1))],
        )
        if self.repeated:
            twice_ids = sorted(self.repeated)
            marks = ",".join("?" * len(twice_ids))
            rows = conn.execute(f"SELECT rowid, {', '.join(columns)} FROM fts_{s} WHERE rowid IN ({marks})",
                                twice_ids).fetchall()
            write_delta(conn, s, [(r[0], r[1:]) for r in rows], self.weights)
        return len(doc_ids)


def build(conn: sqlite3.Connection, s: str, weights: Sequence[float], columns: Sequence[str]) -> int:
    """Build the main postings of table set ``s`` from its FTS5 table's text (inside the caller's write
    transaction: a compaction, or an index written before the postings existed)."""
    builder = Builder(weights)
    last = -1
    while True:
        rows = conn.execute(
            f"SELECT rowid, {', '.join(columns)} FROM fts_{s} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (last, BUILD_CHUNK),
        ).fetchall()
        if not rows:
            break
        for row in rows:
            builder.add(row[0], row[1:])
        last = rows[-1][0]
    return builder.write(conn, s, columns)
