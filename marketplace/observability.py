"""Request ids and structured logs: every log line of a request, and of the Celery tasks it starts, carries one id.

``RequestIdMiddleware`` takes ``X-Request-ID`` from the proxy (or makes one), keeps it in a context variable for
the request, and answers with it. Celery's ``before_task_publish`` copies it into the task's headers and
``task_prerun`` restores it in the worker, so a search re-index or a matching run logs the id of the approval
that queued it. ``JsonFormatter`` writes one JSON object per line (production's ``LOGGING``).
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        sent = request.headers.get(HEADER, "")
        rid = sent if _VALID.match(sent) else uuid.uuid4().hex
        token = request_id.set(rid)
        request.request_id = rid  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (empty outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and the exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id.get(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


# Celery: the id travels in the task's headers ------------------------------------------------------------------
def _publish(headers: dict | None = None, **kwargs: Any) -> None:
    rid = request_id.get()
    if rid and headers is not None and "request_id" not in headers:
        headers["request_id"] = rid


_task_tokens: dict[str, contextvars.Token] = {}


def _task_started(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    rid = getattr(getattr(task, "request", None), "request_id", None) if task is not None else None
    if rid and task_id:
        _task_tokens[task_id] = request_id.set(str(rid))


def _task_finished(task_id: str | None = None, **kwargs: Any) -> None:
    token = _task_tokens.pop(task_id or "", None)
    if token is not None:
        try:
            request_id.reset(token)
        except ValueError:  # finished in another context than it started: nothing of ours to restore
            request_id.set("")


def connect_celery() -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(_publish, weak=False, dispatch_uid="observability.publish")
    task_prerun.connect(_task_started, weak=False, dispatch_uid="observability.prerun")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="observability.postrun")


def init_sentry(dsn: str, *, environment: str, traces_sample_rate: float) -> None:
    """Error reporting through Sentry's SDK, only when a DSN is configured (no personal data is sent)."""
    import sentry_sdk

    sentry_sdk.init(dsn=dsn, environment=environment, traces_sample_rate=traces_sample_rate, send_default_pii=False)
