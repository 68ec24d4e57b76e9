"""What services call after writing patents or listings: the index follows once the data is committed.

A Celery task does the work, published after the commit so that a rolled-back write never reaches the index and
the worker never reads rows that are not yet visible. It goes through the task outbox (``marketplace.outbox``): the
task is recorded in the same transaction and published again if a worker is lost before it finishes.
"""
from __future__ import annotations

from collections.abc import Iterable

from marketplace.outbox import task_enqueue_on_commit

BATCH = 500


def index_patents_on_commit(patent_ids: Iterable[int]) -> None:
    from search.tasks import index_patents

    ids = sorted({int(i) for i in patent_ids})
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        task_enqueue_on_commit(task=index_patents, args=[chunk])


def remove_patents_on_commit(patent_ids: Iterable[int]) -> None:
    from search.tasks import delete_patents

    ids = sorted({int(i) for i in patent_ids})
    if ids:
        task_enqueue_on_commit(task=delete_patents, args=[ids])
