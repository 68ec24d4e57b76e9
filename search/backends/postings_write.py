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


def build(conn: sqlite3.Connection, s: str, weights: Sequence[float], columns: Sequence[str],
          progress=None) -> int:
    """Build the main postings of table set ``s`` from its FTS5 table's text (inside the caller's write
    transaction) and clear the delta. Returns the number of documents."""
    term_ids: dict[str, int] = {}
    post_term, post_doc, post_wtf = array("i"), array("i"), array("f")
    doc_ids, doc_lens = array("i"), array("i")
    last = -1
    while True:
        rows = conn.execute(
            f"SELECT rowid, {', '.join(columns)} FROM fts_{s} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (last, BUILD_CHUNK),
        ).fetchall()
        if not rows:
            break
        for row in rows:
            doc_id = row[0]
            wtf, length = doc_terms(row[1:], weights)
            doc_ids.append(doc_id)
            doc_lens.append(length)
            for term, f in wtf.items():
                tid = term_ids.get(term)
                if tid is None:
                    tid = term_ids[term] = len(term_ids)
                post_term.append(tid)
                post_doc.append(doc_id)
                post_wtf.append(f)
        last = rows[-1][0]
        if progress:
            progress(len(rows))
    conn.execute(f"DELETE FROM post_{s}")
    conn.execute(f"DELETE FROM pdelta_{s}")
    conn.execute(f"DELETE FROM ptouched_{s}")
    terms = np.frombuffer(post_term, dtype=np.int32) if len(post_term) else np.zeros(0, dtype=np.int32)
    docs = np.frombuffer(post_doc, dtype=np.int32) if len(post_doc) else np.zeros(0, dtype=np.int32)
    wtfs = np.frombuffer(post_wtf, dtype=np.float32) if len(post_wtf) else np.zeros(0, dtype=np.float32)
    # rows came in rowid order, so a stable sort by term keeps each list ascending by document
    order = np.argsort(terms, kind="stable")
    terms, docs, wtfs = terms[order], docs[order], wtfs[order]
    bounds = np.flatnonzero(np.diff(terms)) + 1
    starts = np.concatenate([[0], bounds]).astype(np.int64) if len(terms) else EMPTY
    ends = np.concatenate([bounds, [len(terms)]]).astype(np.int64) if len(terms) else EMPTY
    names = list(term_ids)
    conn.executemany(
        f"INSERT INTO post_{s} VALUES (?, ?, ?, ?)",
        (
            (names[int(terms[a])], int(b - a), docs[a:b].tobytes(), wtfs[a:b].tobytes())
            for a, b in zip(starts.tolist(), ends.tolist())
        ),
    )
    (gen,) = conn.execute(f"SELECT coalesce((SELECT CAST(value AS INTEGER) FROM plen_{s} WHERE key='gen'), 0)"
                          ).fetchone()
    conn.executemany(
        f"INSERT OR REPLACE INTO plen_{s} VALUES (?, ?)",
        [("ids", doc_ids.tobytes()), ("lens", doc_lens.tobytes()), ("gen", str(gen + 1))],
    )
    return len(doc_ids)
