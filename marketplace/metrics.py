"""The Prometheus metrics of the exchange and the ``/metrics`` endpoint that publishes them with django-prometheus's.

django-prometheus measures requests (latency by view and method, responses by status). This module adds Celery
task counts and durations (from Celery's signals), search latency (``search.selectors`` observes it), the search
index size and the patents in the database (counted when scraped), and open WebSockets (counted around the ASGI
websocket branch). When ``PROMETHEUS_MULTIPROC_DIR`` is set (``serve`` sets it for its Celery worker and extra web
workers; the production compose for every container), each process writes its counters there and the endpoint
adds them up. The endpoint answers staff users and requests bearing ``METRICS_TOKEN``; everyone else gets 403.
"""
from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

CELERY_TASKS = Counter("zonepatent_celery_tasks", "Celery tasks finished, by task and outcome", ["task", "state"])
CELERY_TASK_SECONDS = Histogram(
    "zonepatent_celery_task_duration_seconds", "Celery task run time", ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
SEARCH_SECONDS = Histogram(
    "zonepatent_search_duration_seconds", "Search engine latency (one query with facets)", ["engine"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
WEBSOCKETS_OPEN = Gauge("zonepatent_websockets_open", "Open WebSocket connections", multiprocess_mode="livesum")


class DatabaseAndIndexCollector(Collector):
    """Counted at scrape time: documents in the search index, patents in the database, and the task outbox."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.apps import apps

        from search import get_search_backend

        try:
            indexed = get_search_backend().count()
        except Exception:  # the index being down is /healthz's news; the scrape still answers
            indexed = -1
        yield GaugeMetricFamily("zonepatent_search_index_documents", "Documents in the search index (-1: unreachable)", value=indexed)
        yield GaugeMetricFamily(
            "zonepatent_database_patents", "Patents in the database", value=apps.get_model("listings", "Patent").objects.count()
        )
        from marketplace.outbox import outbox_backlog

        backlog = outbox_backlog()
        tasks = GaugeMetricFamily(
            "zonepatent_task_outbox_tasks", "Tasks owed in the task outbox: pending, overdue (past their lease), failed",
            labels=["state"],
        )
        for state in ("pending", "overdue", "failed"):
            tasks.add_metric([state], backlog[state])
        yield tasks
        yield GaugeMetricFamily(
            "zonepatent_task_outbox_oldest_seconds", "Age of the oldest task still owed (0: none)",
            value=backlog["oldest_seconds"],
        )


def _multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def _this_process_writes_files() -> bool:
    from prometheus_client import values

    return "MultiProcess" in getattr(values.ValueClass, "__name__", "") or "multiprocess" in repr(values.ValueClass)


def exposition() -> bytes:
    """Every process's metrics (from the shared folder) and this process's own, in the text format."""
    shared = CollectorRegistry()
    directory = _multiprocess_dir()
    output = b""
    if directory and os.path.isdir(directory):
        MultiProcessCollector(shared, path=directory)
        output += generate_latest(shared)
    if not _this_process_writes_files():
        output += generate_latest(REGISTRY) if not output else _without(generate_latest(REGISTRY), output)
    extra = CollectorRegistry()
    extra.register(DatabaseAndIndexCollector())
    return output + generate_latest(extra)


def _without(text: bytes, already: bytes) -> bytes:
    """This process's families that the shared folder did not already publish (no family is printed twice)."""
    seen = {line.split()[2] for line in already.splitlines() if line.startswith(b"# TYPE ")}
    kept: list[bytes] = []
    keep = True
    for line in text.splitlines():
        if line.startswith(b"# HELP "):
            keep = line.split()[2] not in seen
        if keep:
            kept.append(line)
    return b"\n".join(kept) + b"\n"


def allowed(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    token = getattr(settings, "METRICS_TOKEN", "")
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponse("metrics: staff or the METRICS_TOKEN bearer only\n", status=403, content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


# Celery --------------------------------------------------------------------------------------------------------
_started: dict[str, float] = {}


def task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def task_finished(task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    name = getattr(task, "name", "unknown")
    CELERY_TASKS.labels(task=name, state=state or "UNKNOWN").inc()
    started = _started.pop(task_id or "", None)
    if started is not None:
        CELERY_TASK_SECONDS.labels(task=name).observe(time.perf_counter() - started)


def connect_celery() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(task_started, weak=False, dispatch_uid="metrics.task_prerun")
    task_postrun.connect(task_finished, weak=False, dispatch_uid="metrics.task_postrun")


# WebSockets ----------------------------------------------------------------------------------------------------
class CountWebSockets:
    """ASGI middleware around the websocket branch: the gauge goes up while a connection's app runs."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        WEBSOCKETS_OPEN.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            WEBSOCKETS_OPEN.dec()
