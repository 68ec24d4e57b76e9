"""Celery tasks that keep the index in step with the database."""
import logging

from celery import shared_task

from marketplace import pagecache
from search import get_search_backend
from search.documents import iter_patent_documents

logger = logging.getLogger(__name__)


@shared_task(name="search.index_patents", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def index_patents(patent_ids: list[int]) -> int:
    """(Re)index these patents; ids that no longer exist are removed from the index."""
    backend = get_search_backend()
    documents = list(iter_patent_documents(patent_ids))
    found = {doc.id for doc in documents}
    if documents:
        backend.index_many(documents)
    for missing in set(patent_ids) - found:
        backend.delete(missing)
    pagecache.invalidate()  # the search page and API show the index: retire them once it holds the change
    return len(documents)


@shared_task(name="search.delete_patents", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def delete_patents(patent_ids: list[int]) -> int:
    backend = get_search_backend()
    for patent_id in patent_ids:
        backend.delete(patent_id)
    pagecache.invalidate()
    return len(patent_ids)


@shared_task(name="search.repair_index")
def repair_index() -> dict[str, int]:
    """Re-index patents missing from or stale in the index and drop orphans (on the beat schedule)."""
    from search.drift import index_repair

    drift = index_repair()
    if not drift.clean:
        logger.warning(
            "search index drift repaired: %d missing, %d stale, %d orphan",
            len(drift.missing), len(drift.stale), len(drift.orphan),
        )
        pagecache.invalidate()
    return {"missing": len(drift.missing), "stale": len(drift.stale), "orphan": len(drift.orphan)}
