"""``/healthz``: liveness (the process answers) and readiness (its dependencies answer), probed without leaving anything behind.

- ``/healthz/live`` touches nothing but the process: an orchestrator restarts the server only when this fails.
- ``/healthz`` (also ``/healthz/ready``) probes the database, the channel layer (a round trip on a fresh channel,
  with a timeout, so no probe message is ever left queued) and search (the index's document count beside the
  database's patent count). Any dependency that does not answer makes it 503, so a load balancer stops sending
  traffic until it answers again.

Drift between the search index and the database: the index follows the database a moment after each commit, so
a difference in counts is normal for a while. When the counts have differed for longer than
``SEARCH_DRIFT_GRACE_SECONDS`` (first seen is kept in the cache; equal counts clear it) the search check says
``drift`` and the page says ``degraded`` with the counts, the difference and how long it has lasted. It stays
200: the site still serves, and taking every server out of the load balancer for a stale index would turn a
search defect into an outage. Monitoring alerts on the status; ``manage.py rebuild_index --check`` names the
ids and the ``search.repair_index`` beat task repairs them. Tasks owed past their lease or failed (the task
outbox) make it ``degraded`` the same way, still 200: the site serves while the backlog is made up.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

CHANNEL_TIMEOUT_SECONDS = 2.0


class ProbeFailed(Exception):
    """A dependency answered, but not as it should."""


def _probe(fn: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = fn() or {}
        result: dict[str, Any] = {"status": "ok", **detail}
    except Exception as exc:  # report, don't crash: this page exists to say what is down
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def probe_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {}


async def _channel_round_trip(timeout: float) -> None:
    layer = get_channel_layer()
    if layer is None:
        raise ProbeFailed("no channel layer configured")
    channel = await layer.new_channel(prefix="healthz.")
    token = f"{time.monotonic_ns()}"
    await layer.send(channel, {"type": "healthz.ping", "token": token})
    message = await asyncio.wait_for(layer.receive(channel), timeout)
    if message.get("token") != token:
        raise ProbeFailed("the channel layer returned another message")


def probe_channel_layer(timeout: float = CHANNEL_TIMEOUT_SECONDS) -> dict[str, Any]:
    """Send one message to a fresh channel and read it back: the message is consumed, nothing accumulates."""
    async_to_sync(_channel_round_trip)(timeout)
    return {}


DRIFT_SINCE_KEY = "healthz:search-drift-since"


def probe_search() -> dict[str, Any]:
    """The engine answers; its document count beside the database's patent count, and whether a difference
    has outlasted ``SEARCH_DRIFT_GRACE_SECONDS`` (status ``drift``)."""
    from search import get_search_backend

    indexed = get_search_backend().count()
    patents = apps.get_model("listings", "Patent").objects.count()
    detail: dict[str, Any] = {"indexed": indexed, "patents": patents, "drift": patents - indexed}
    if indexed == patents:
        cache.delete(DRIFT_SINCE_KEY)
        return detail
    now = time.time()
    cache.add(DRIFT_SINCE_KEY, now, timeout=None)
    since = float(cache.get(DRIFT_SINCE_KEY) or now)
    detail["drift_seconds"] = round(now - since)
    if now - since >= settings.SEARCH_DRIFT_GRACE_SECONDS:
        detail["status"] = "drift"
    return detail


def probe_tasks() -> dict[str, Any]:
    """The task outbox (``marketplace.outbox``): tasks owed, those past their lease (a lost worker not yet made up
    for, or a queue that cannot keep up) and those that gave up. Any overdue or failed task says ``backlog``."""
    from marketplace.outbox import outbox_backlog

    detail: dict[str, Any] = dict(outbox_backlog())
    if detail["overdue"] or detail["failed"]:
        detail["status"] = "backlog"
    return detail


def readiness() -> tuple[bool, dict[str, dict[str, Any]]]:
    """Whether every dependency answers (a drifting index answers), and each check's detail."""
    checks = {
        "database": _probe(probe_database),
        "channel_layer": _probe(probe_channel_layer),
        "search": _probe(probe_search),
        "tasks": _probe(probe_tasks),
    }
    return all(check["status"] != "error" for check in checks.values()), checks


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness: every dependency answers (200) or the first that does not is named (503); a drifting search
    index or a task backlog makes the status ``degraded`` while the answer stays 200."""
    healthy, checks = readiness()
    status = "ok" if all(check["status"] == "ok" for check in checks.values()) else "degraded"
    return JsonResponse(
        {"status": status, "checks": checks, "search_backend": settings.SEARCH_BACKEND},
        status=200 if healthy else 503,
    )


@never_cache
def liveness(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. No dependency is touched, so a slow database never gets a healthy server killed."""
    return JsonResponse({"status": "ok"})
