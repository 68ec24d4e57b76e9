"""The deal room's database calls, off the event loop on a bounded pool of threads.

``database_sync_to_async`` in its default thread-sensitive mode runs every call of the process on one thread: with
a few hundred sockets, every access check, replay and insert of every room queued behind each other there (the
cause of the multi-second round trips in docs/benchmarks.md). The room's calls share no transaction with the
caller, so they may run on any thread: here on ``settings.DEAL_ROOM_DB_THREADS`` threads, each with its own
connection, opened and closed per call as Django does for a request (``CONN_MAX_AGE``).

SQLite admits one writer at a time, and a writer that finds the file locked sleeps in SQLite's busy handler (up
to 100 ms a turn); writes of one process therefore queue on a lock here instead, and only another process's
writer meets the busy handler. Postgres takes the writes in parallel (the deal's row lock orders one room's).
"""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_sqlite_writer = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.DEAL_ROOM_DB_THREADS, thread_name_prefix="deal-room-db")
        return _pool


def _serialised_on_sqlite(func: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> T:
        if connection.vendor != "sqlite":
            return func(*args, **kwargs)
        with _sqlite_writer:
            return func(*args, **kwargs)

    return call


async def read(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``func`` (ORM reads) on one of the room's threads."""
    return await database_sync_to_async(func, thread_sensitive=False, executor=_executor())(*args, **kwargs)


async def write(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``func`` (a service that writes) on one of the room's threads; one writer at a time on SQLite."""
    return await database_sync_to_async(_serialised_on_sqlite(func), thread_sensitive=False, executor=_executor())(
        *args, **kwargs
    )
