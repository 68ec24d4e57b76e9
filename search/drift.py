"""Drift between the search index and the database: which patents are missing, stale or orphaned, and its repair.

The index follows the database a moment after each commit (``search.indexing``). When a task is lost (a worker
down, a broker emptied, another process deleting ids from the same index) it stops following, and nothing else
would say so. ``index_drift`` compares every indexed document's fingerprint with the document the database
would give now; ``index_repair`` re-indexes what is missing or stale and removes what no patent owns.
``manage.py rebuild_index --check`` prints the drift, and the ``search.repair_index`` task repairs it on the
beat schedule.
"""
from __future__ import annotations

from dataclasses import dataclass

from search import get_search_backend
from search.documents import iter_patent_documents
from search.interface import SearchBackend, document_fingerprint

REPAIR_BATCH = 500


@dataclass(frozen=True)
class IndexDrift:
    patents: int  # patents in the database
    indexed: int  # documents in the index
    missing: tuple[int, ...]  # in the database, not in the index
    stale: tuple[int, ...]  # in both, but the index holds an older version
    orphan: tuple[int, ...]  # in the index, no longer in the database

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.orphan)

    def as_text(self, *, show: int = 20) -> str:
        def ids(values: tuple[int, ...]) -> str:
            shown = ", ".join(str(v) for v in values[:show])
            return shown + (f", … (+{len(values) - show})" if len(values) > show else "")

        lines = [
            f"数据库 patents {self.patents}; 索引 indexed {self.indexed}",
            f"缺失 missing {len(self.missing)}: {ids(self.missing)}",
            f"过期 stale {len(self.stale)}: {ids(self.stale)}",
            f"多余 orphan {len(self.orphan)}: {ids(self.orphan)}",
        ]
        return "\n".join(lines)


def index_drift(*, backend: SearchBackend | None = None) -> IndexDrift:
    """Read the index first, then the database: a patent written in between shows as missing or stale (and is
    re-indexed, harmlessly), never as an orphan that would be deleted."""
    engine = backend or get_search_backend()
    stored = engine.fingerprints()
    current = {doc.id: document_fingerprint(doc) for doc in iter_patent_documents()}
    return IndexDrift(
        patents=len(current),
        indexed=len(stored),
        missing=tuple(sorted(current.keys() - stored.keys())),
        stale=tuple(sorted(pk for pk in current.keys() & stored.keys() if current[pk] != stored[pk])),
        orphan=tuple(sorted(stored.keys() - current.keys())),
    )


def index_repair(*, backend: SearchBackend | None = None) -> IndexDrift:
    """Re-index what is missing or stale and delete orphans, in this process; the drift found is returned."""
    engine = backend or get_search_backend()
    drift = index_drift(backend=engine)
    todo = sorted(drift.missing + drift.stale)
    for start in range(0, len(todo), REPAIR_BATCH):
        engine.index_many(iter_patent_documents(todo[start : start + REPAIR_BATCH]))
    for patent_id in drift.orphan:
        engine.delete(patent_id)
    return drift
