"""The embedded engine's writing side: the table schema, interning facet values, indexing, deleting and the
rebuild into the idle table set (a part of ``search.backends.embedded.Backend``; see its docstring)."""
from __future__ import annotations

import contextlib
import itertools
import json
import sqlite3
import threading
from array import array
from collections.abc import Iterable, Iterator

from search import analysis
from search.backends import postings_write as postings
from search.facets import document_facets
from search.interface import PatentDocument, ProgressCallback
from search.understanding import document_number_keys

#: FTS5 column order, and BM25 weights in that order: title, abstract, claims, applicants
COLUMNS = ("title", "abstract", "claims", "applicants")
WEIGHTS = (10.0, 4.0, 1.0, 2.0)
BATCH = 500
CHANGELOG_KEEP = 50_000


class IndexWriter:
    """Schema and writes; the reading side (``Backend``) supplies the connection."""

    _write_lock: threading.Lock
    _writer_ids: dict[tuple[str, str], int]

    def _conn(self) -> sqlite3.Connection:
        raise NotImplementedError

    @staticmethod
    def _create_tables(conn: sqlite3.Connection, s: str) -> None:
        conn.execute(
            f"""CREATE TABLE IF NOT EXISTS docs_{s} (
                id INTEGER PRIMARY KEY, publication_number TEXT NOT NULL, title TEXT NOT NULL,
                abstract TEXT NOT NULL, claims TEXT NOT NULL, applicants TEXT NOT NULL, inventors TEXT NOT NULL,
                ipc_codes TEXT NOT NULL, zones TEXT NOT NULL, industries TEXT NOT NULL, legal_status TEXT NOT NULL,
                kind TEXT NOT NULL, application_date TEXT, listed INTEGER NOT NULL)"""
        )
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS fts_{s} USING fts5("
            f"{', '.join(COLUMNS)}, tokenize='unicode61 remove_diacritics 0')"
        )
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS facet_{s} (doc_id INTEGER PRIMARY KEY, day INTEGER NOT NULL, "
            "vals BLOB NOT NULL)"
        )
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS numbers_{s} (key TEXT NOT NULL, doc_id INTEGER NOT NULL, "
            "PRIMARY KEY (key, doc_id)) WITHOUT ROWID"
        )
        conn.execute(f"CREATE INDEX IF NOT EXISTS numbers_{s}_doc ON numbers_{s} (doc_id)")
        postings.create_tables(conn, s)

    @staticmethod
    def _drop_tables(conn: sqlite3.Connection, s: str) -> None:
        # vocab_s: the FTS5 vocabulary table of indexes written before the postings (dropped with the set)
        for table in (f"vocab_{s}", f"fts_{s}", f"docs_{s}", f"facet_{s}", f"numbers_{s}"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        postings.drop_tables(conn, s)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the process's write lock: committed, or rolled back on any error."""
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    @staticmethod
    def _state(conn: sqlite3.Connection) -> tuple[str, int, int, int]:
        active, epoch, max_seq, min_seq = conn.execute(
            "SELECT (SELECT value FROM meta WHERE key='active'), (SELECT value FROM meta WHERE key='epoch'), "
            "(SELECT coalesce(max(seq), 0) FROM changelog), (SELECT coalesce(min(seq), 0) FROM changelog)"
        ).fetchone()
        return active, int(epoch), max_seq, min_seq

    # ------------------------------------------------------------------------------------------------
    # writing
    # ------------------------------------------------------------------------------------------------
    def _value_ids(self, conn: sqlite3.Connection, pairs: list[tuple[str, str]]) -> list[int]:
        """Integer ids of facet values (the writer's own memo; ids are never reused or changed)."""
        known = self._writer_ids
        missing = [p for p in pairs if p not in known]
        if missing:
            conn.executemany("INSERT OR IGNORE INTO facet_values (facet, value) VALUES (?, ?)", missing)
            for facet, value in missing:
                (vid,) = conn.execute(
                    "SELECT id FROM facet_values WHERE facet=? AND value=?", (facet, value)
                ).fetchone()
                known[(facet, value)] = vid
        return [known[p] for p in pairs]

    @staticmethod
    def _prepare(doc: PatentDocument) -> tuple:
        """The rows of one document, tokenised outside any transaction."""
        # the date sort and the year filter use the filing year when only the year is known (1 January)
        sort_date = doc.filing_sort_date
        day = sort_date.toordinal() if sort_date else 0
        return (
            (
                doc.id,
                doc.publication_number,
                doc.title,
                doc.abstract or "",
                doc.claims or "",
                json.dumps(list(doc.applicants), ensure_ascii=False),
                json.dumps(list(doc.inventors), ensure_ascii=False),
                json.dumps(list(doc.ipc_codes)),
                json.dumps(list(doc.zones)),
                json.dumps(list(doc.industries)),
                doc.legal_status or "",
                doc.kind or "",
                doc.application_date.isoformat() if doc.application_date else None,
                int(bool(doc.listed)),
            ),
            (
                doc.id,
                analysis.index_text(doc.title),
                analysis.index_text(doc.abstract),
                analysis.index_text(doc.claims),
                analysis.index_text(" ".join(doc.applicants)),
            ),
            day,
            document_facets(doc),
            document_number_keys(doc.publication_number, doc.application_number),
        )

    def _write(self, conn: sqlite3.Connection, s: str, prepared: list[tuple], *, log: bool) -> None:
        prepared = list({p[0][0]: p for p in prepared}.values())  # the same id twice in a batch: the last wins
        ids = [(p[0][0],) for p in prepared]
        conn.executemany(f"DELETE FROM fts_{s} WHERE rowid=?", ids)
        conn.executemany(f"INSERT OR REPLACE INTO docs_{s} VALUES ({', '.join('?' * 14)})", [p[0] for p in prepared])
        conn.executemany(
            f"INSERT INTO fts_{s} (rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?)", [p[1] for p in prepared]
        )
        facet_rows = []
        number_rows: list[tuple[str, int]] = []
        for doc_row, _, day, pairs, keys in prepared:
            vals = array("i", self._value_ids(conn, pairs))
            facet_rows.append((doc_row[0], day, vals.tobytes()))
            number_rows.extend((key, doc_row[0]) for key in keys)
        conn.executemany(f"INSERT OR REPLACE INTO facet_{s} VALUES (?, ?, ?)", facet_rows)
        conn.executemany(f"DELETE FROM numbers_{s} WHERE doc_id=?", ids)
        conn.executemany(f"INSERT OR IGNORE INTO numbers_{s} VALUES (?, ?)", number_rows)
        if log:
            conn.executemany("INSERT INTO changelog (doc_id) VALUES (?)", ids)
            # written after the postings build: kept in the delta until the next build
            postings.write_delta(conn, s, [(p[1][0], p[1][1:]) for p in prepared], WEIGHTS)

    def _trim_changelog(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "DELETE FROM changelog WHERE seq < (SELECT max(seq) FROM changelog) - ?", (CHANGELOG_KEEP,)
        )

    def index_one(self, document: PatentDocument) -> None:
        self.index_many([document])

    def index_many(self, documents: Iterable[PatentDocument], *, progress: ProgressCallback | None = None) -> int:
        total = 0
        for batch in _batches(documents, BATCH):
            prepared = [self._prepare(doc) for doc in batch]
            with self._writing() as conn:
                active = self._state(conn)[0]
                self._write(conn, active, prepared, log=True)
                self._trim_changelog(conn)
            total += len(batch)
            if progress:
                progress(len(batch))
        self._compact_if_due()
        return total

    def delete(self, patent_id: int) -> None:
        with self._writing() as conn:
            s = self._state(conn)[0]
            for table in (f"fts_{s} WHERE rowid=?", f"docs_{s} WHERE id=?", f"facet_{s} WHERE doc_id=?",
                          f"numbers_{s} WHERE doc_id=?"):
                conn.execute(f"DELETE FROM {table}", (patent_id,))
            conn.execute("INSERT INTO changelog (doc_id) VALUES (?)", (patent_id,))
            postings.write_deleted(conn, s, [patent_id])

    def _compact_if_due(self) -> None:
        """Rebuild the main postings once the documents written since the last build are many."""
        conn = self._conn()
        s = self._state(conn)[0]
        if postings.compaction_due(conn, s):
            with self._writing() as conn:
                s = self._state(conn)[0]
                if postings.compaction_due(conn, s):
                    postings.build(conn, s, WEIGHTS, COLUMNS)

    def _build_postings_if_missing(self, conn: sqlite3.Connection, s: str) -> None:
        """An index written before the postings existed gets them once (inside the caller's transaction)."""
        if postings.needs_build(conn, s):
            postings.build(conn, s, WEIGHTS, COLUMNS)

    def rebuild(self, documents: Iterable[PatentDocument], *, progress: ProgressCallback | None = None) -> int:
        """Fill the idle table set (its postings built from the same batches), carry over writes made
        meanwhile, then flip ``meta.active``."""
        with self._writing() as conn:
            old, _, start_seq, _ = self._state(conn)
            new = "b" if old == "a" else "a"
            self._drop_tables(conn, new)
            self._create_tables(conn, new)
        total = 0
        builder = postings.Builder(WEIGHTS)
        for batch in _batches(documents, BATCH):
            prepared = list({p[0][0]: p for p in (self._prepare(doc) for doc in batch)}.values())
            with self._writing() as conn:
                self._write(conn, new, prepared, log=False)
            for p in prepared:
                builder.add(p[1][0], p[1][1:])
            total += len(batch)
            if progress:
                progress(len(batch))
        with self._writing() as conn:
            builder.write(conn, new, COLUMNS)
        with self._writing() as conn:
            changed = [
                r[0]
                for r in conn.execute("SELECT DISTINCT doc_id FROM changelog WHERE seq > ?", (start_seq,))
            ]
            for chunk in _batches(changed, 500):
                self._carry(conn, old, new, chunk)
            conn.execute(f"INSERT INTO fts_{new} (fts_{new}) VALUES ('optimize')")
            conn.execute("UPDATE meta SET value=? WHERE key='active'", (new,))
            conn.execute("UPDATE meta SET value=CAST(value AS INTEGER) + 1 WHERE key='epoch'")
            conn.execute("DELETE FROM changelog")
            self._drop_tables(conn, old)
        self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return total

    @staticmethod
    def _carry(conn: sqlite3.Connection, old: str, new: str, chunk: list[int]) -> None:
        """Documents written (or deleted) in the live set while a rebuild ran: the live version wins."""
        marks = ",".join("?" * len(chunk))
        for table, key in ((f"fts_{new}", "rowid"), (f"docs_{new}", "id"), (f"facet_{new}", "doc_id"),
                           (f"numbers_{new}", "doc_id")):
            conn.execute(f"DELETE FROM {table} WHERE {key} IN ({marks})", chunk)
        conn.execute(
            f"INSERT INTO fts_{new} (rowid, {', '.join(COLUMNS)}) "
            f"SELECT rowid, {', '.join(COLUMNS)} FROM fts_{old} WHERE rowid IN ({marks})",
            chunk,
        )
        conn.execute(f"INSERT INTO docs_{new} SELECT * FROM docs_{old} WHERE id IN ({marks})", chunk)
        conn.execute(f"INSERT INTO facet_{new} SELECT * FROM facet_{old} WHERE doc_id IN ({marks})", chunk)
        conn.execute(
            f"INSERT OR IGNORE INTO numbers_{new} SELECT * FROM numbers_{old} WHERE doc_id IN ({marks})", chunk
        )
        live = conn.execute(
            f"SELECT rowid, {', '.join(COLUMNS)} FROM fts_{old} WHERE rowid IN ({marks})", chunk
        ).fetchall()
        postings.write_deleted(conn, new, chunk)
        postings.write_delta(conn, new, [(r[0], r[1:]) for r in live], WEIGHTS)

    def optimize(self) -> None:
        with self._writing() as conn:
            s = self._state(conn)[0]
            conn.execute(f"INSERT INTO fts_{s} (fts_{s}) VALUES ('optimize')")
            postings.build(conn, s, WEIGHTS, COLUMNS)
        self._conn().execute("VACUUM")


def _batches(items: Iterable, size: int):
    iterator = iter(items)
    while True:
        chunk = list(itertools.islice(iterator, size))
        if not chunk:
            return
        yield chunk
