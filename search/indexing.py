"""What services call after writing patents or listings: the index follows once the data is committed.

A Celery task does the work, queued in ``transaction.on_commit`` so that a rolled-back write never
reaches the index and the worker never reads rows that are not yet visible.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.db import transaction

BATCH = 500


def index_patents_on_commit(patent_ids: Iterable[int]) -> None:
    from search.tasks import index_patents

    ids = sorted({int(i) for i in patent_ids})
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        transaction.on_commit(partial(index_patents.delay, chunk))


def remove_patents_on_commit(patent_ids: Iterable[int]) -> None:
    from search.tasks import delete_patents

    ids = sorted({int(i) for i in patent_ids})
    if ids:
        transaction.on_commit(lambda: delete_patents.delay(ids))
