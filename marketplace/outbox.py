"""The task outbox: a task caused by a change is recorded in the change's own transaction and kept until a worker
reports it finished, so no broker and no killed worker can lose it.

Why: on the embedded default the broker (kombu's filesystem transport) deletes a message when a worker takes it;
a worker killed with SIGKILL loses what it held. Redis keeps unacknowledged messages, but only hands them out
again after its visibility timeout, and a process that dies between its commit and its publish loses the task on
any broker. Here:

1. ``task_enqueue_on_commit`` writes an ``OutboxTask`` row inside the caller's transaction and publishes the task
   (its Celery id is the row's id, its headers say ``outbox``) once the transaction commits. A rollback takes the
   row with it: nothing is owed for a change that never happened.
2. The worker claims the row when the task starts (``claimed_at``, ``claimed_by = host:pid``), deletes it when the
   task succeeds, and marks it ``failed_at`` when the task gives up (kept for an operator; never re-sent by itself).
3. ``outbox_republish_due`` publishes again every row still owed whose lease has run out (from its claim, or from
   its last publish if never claimed), and at once every row claimed by a worker process on this host that no
   longer exists. Each worker runs it when it starts (``worker_ready``) and beat runs it every minute
   (``marketplace.outbox_republish``). A re-run is safe: every task sent this way is idempotent
   (docs/operations.md lists why each one is).

When tasks run eagerly (the test settings, and every throw-away run of ``marketplace.throwaway``) nothing is
recorded and nothing is re-published: the task runs in this process after the commit, as ``delay`` would.
"""
from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from marketplace.models import OutboxTask

logger = logging.getLogger(__name__)

#: the message header that marks a task as owed to the outbox (its value: the row id)
HEADER = "outbox"


def _app() -> Any:
    from marketplace.celery import app

    return app


def _eager() -> bool:
    return bool(_app().conf.task_always_eager)


def lease() -> timedelta:
    return timedelta(seconds=settings.TASK_OUTBOX_LEASE_SECONDS)


def this_process() -> str:
    """``host:pid``, what a claim records, so that a later worker on the same host can tell the claimer is gone."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    try:  # a killed worker its parent has not reaped yet is a zombie: dead for our purpose
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def _publish(row: OutboxTask) -> None:
    """Hand the row's task to the broker; a broker that does not answer leaves the row due at the next sweep."""
    app = _app()
    try:
        app.send_task(row.task, args=row.args, kwargs=row.kwargs, task_id=str(row.pk), headers={HEADER: str(row.pk)})
    except Exception:
        logger.exception("task outbox: could not publish %s %s; the sweep sends it again", row.task, row.pk)
        OutboxTask.objects.filter(pk=row.pk).update(published_at=timezone.now() - lease())


def task_enqueue_on_commit(*, task: Task, args: list | tuple = (), kwargs: dict | None = None) -> OutboxTask | None:
    """Owe ``task(*args, **kwargs)`` from the current transaction on, and publish it once the transaction commits.

    Call it where ``transaction.on_commit(lambda: task.delay(...))`` would go. Returns the row (``None`` when tasks
    run eagerly: then the task runs after the commit in this process and nothing is recorded).
    """
    args, kwargs = list(args), dict(kwargs or {})
    if _eager():
        transaction.on_commit(lambda: task.apply_async(args, kwargs))
        return None
    row = OutboxTask.objects.create(task=task.name, args=args, kwargs=kwargs)
    transaction.on_commit(lambda: _publish(row))
    return row


def _due(now: datetime) -> list[OutboxTask]:
    cut = now - lease()
    owed = OutboxTask.objects.filter(failed_at__isnull=True)
    stale = list(owed.filter(Q(claimed_at__isnull=True, published_at__lt=cut) | Q(claimed_at__lt=cut)))
    host = socket.gethostname()
    orphaned = [
        row for row in owed.filter(claimed_at__gte=cut, claimed_by__startswith=f"{host}:")
        if row.claimed_by.rsplit(":", 1)[-1].isdigit() and not _alive(int(row.claimed_by.rsplit(":", 1)[-1]))
    ]
    return stale + orphaned


def outbox_republish_due(*, now: datetime | None = None) -> int:
    """Publish again every task still owed whose lease ran out or whose worker died; returns how many.

    Each row is taken with a compare-and-set on ``published_at`` and ``claimed_at``, so two sweeps at once send it
    once, and a row a worker claims meanwhile is left to it. Does nothing when tasks run eagerly (a throw-away run
    never publishes through the outbox).
    """
    if _eager():
        return 0
    now = now or timezone.now()
    sent = 0
    for row in _due(now):
        taken = OutboxTask.objects.filter(
            pk=row.pk, published_at=row.published_at, claimed_at=row.claimed_at, failed_at__isnull=True,
        ).update(
            published_at=now, publish_count=F("publish_count") + 1, claimed_at=None, claimed_by="",
        )
        if taken:
            logger.warning(
                "task outbox: publishing %s %s again (published %s, claimed %s by %s)",
                row.task, row.pk, row.published_at, row.claimed_at, row.claimed_by or "nobody",
            )
            _publish(row)
            sent += 1
    return sent


def outbox_retry_failed() -> int:
    """An operator's retry: every failed row is owed again and published at once; returns how many."""
    rows = list(OutboxTask.objects.filter(failed_at__isnull=False))
    for row in rows:
        OutboxTask.objects.filter(pk=row.pk).update(
            failed_at=None, error="", published_at=timezone.now(), publish_count=F("publish_count") + 1,
            claimed_at=None, claimed_by="",
        )
        _publish(row)
    return len(rows)


def outbox_backlog(*, now: datetime | None = None) -> dict[str, int]:
    """What is owed: ``pending`` rows, ``overdue`` (past their lease: a lost worker the sweep has not yet made up
    for, or a queue that cannot keep up), ``failed``, and the age in seconds of the oldest pending row. One query."""
    now = now or timezone.now()
    cut = now - lease()
    owed = Q(failed_at__isnull=True)
    counts = OutboxTask.objects.aggregate(
        pending=Count("pk", filter=owed),
        overdue=Count("pk", filter=owed & (Q(claimed_at__isnull=True, published_at__lt=cut) | Q(claimed_at__lt=cut))),
        failed=Count("pk", filter=~owed),
        oldest=Min("created_at", filter=owed),
    )
    oldest = counts.pop("oldest")
    return {**counts, "oldest_seconds": int((now - oldest).total_seconds()) if oldest else 0}


# Celery's signals, in the worker -------------------------------------------------------------------------------
def _outbox_id(task: Any) -> str | None:
    value = getattr(getattr(task, "request", None), HEADER, None)
    return str(value) if value else None


def _claimed(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    if row_id := _outbox_id(task):
        OutboxTask.objects.filter(pk=row_id).update(claimed_at=timezone.now(), claimed_by=this_process())


def _succeeded(sender: Any = None, **kwargs: Any) -> None:
    if row_id := _outbox_id(sender):
        OutboxTask.objects.filter(pk=row_id).delete()


def _failed(sender: Any = None, exception: BaseException | None = None, **kwargs: Any) -> None:
    if row_id := _outbox_id(sender):
        OutboxTask.objects.filter(pk=row_id).update(failed_at=timezone.now(), error=repr(exception)[:2000])


def _worker_ready(**kwargs: Any) -> None:
    """A worker starting makes up at once for the tasks a dead worker on this host held."""
    try:
        sent = outbox_republish_due()
    except DatabaseError as exc:  # a database not migrated yet: the beat sweep makes up for it later
        logger.warning("task outbox: no sweep at start-up (%s)", exc)
        return
    if sent:
        logger.warning("task outbox: %d task(s) owed by a lost worker published again", sent)


def connect_celery() -> None:
    from celery.signals import task_failure, task_prerun, task_success, worker_ready

    task_prerun.connect(_claimed, weak=False, dispatch_uid="outbox.task_prerun")
    task_success.connect(_succeeded, weak=False, dispatch_uid="outbox.task_success")
    task_failure.connect(_failed, weak=False, dispatch_uid="outbox.task_failure")
    worker_ready.connect(_worker_ready, weak=False, dispatch_uid="outbox.worker_ready")
