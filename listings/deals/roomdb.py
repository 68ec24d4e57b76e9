"""The deal room's database calls, off the event loop on a bounded pool of threads.

``database_sync_to_async`` in its default thread-sensitive mode runs every call of the process on one thread: with
a few hundred sockets, every access check, replay and insert of every room queued behind each other there (the
cause of the multi-second round trips in docs/benchmarks.md). The room's calls share no transaction with the
caller, so they may run on any thread: here on ``settings.DEAL_ROOM_DB_THREADS`` threads, each keeping its own
connection from call to call (closed when unusable, as Django closes a request's). Opening one per frame — what
``CONN_MAX_AGE = 0`` does for every ``database_sync_to_async`` call — costs a Postgres backend start, or
SQLite's schema parse, each time. The global setting stays 0: under ASGI each request runs on a new thread, and
persistent connections there would leak (Django's documentation). ``close_connections`` closes the kept ones.

SQLite admits one writer at a time, and a writer that finds the file locked sleeps in SQLite's busy handler (up
to 100 ms a turn); writes of one process therefore queue on a lock here instead, and only another process's
writer meets the busy handler. Postgres takes the writes in parallel (the deal's row lock orders one room's).

Chat frames are stored with group commit (``chat``): frames that arrive while a transaction is being written wait
for the next one, which stores them all (``parties.chat_post_many``) — one disk flush for many messages instead of
one each, which is what limits a durable database to a few hundred commits a second on an ordinary disk. On
SQLite one batch is written at a time and may span rooms (the file is locked whole anyway); on Postgres up to
``DEAL_ROOM_DB_THREADS`` batches run at once, each of one deal, so a batch locks exactly what one ``chat_post``
locks. A quiet room pays nothing: a frame that finds no batch in flight is written at once.
"""
from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from listings.deals.services.parties import ChatPost, chat_post_many
from listings.deals.services.room import message_payload
from marketplace.kernel.errors import DomainError

T = TypeVar("T")
MAX_BATCH = 200

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_sqlite_writer = threading.Lock()
_kept: set[BaseDatabaseWrapper] = set()


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


def _keeping_connection(func: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> T:
        db = connections[DEFAULT_DB_ALIAS]
        db.close_if_unusable_or_obsolete()
        try:
            return func(*args, **kwargs)
        finally:
            db.close_at = None  # no age limit on this thread: kept for its next call
            db.close_if_unusable_or_obsolete()  # … unless broken or left in a transaction
            if db.connection is not None:
                _kept.add(db)

    return call


def close_connections() -> None:
    """Close the connections the room's threads keep (the tests do so before their database is dropped)."""
    for db in list(_kept):
        db.inc_thread_sharing()
        try:
            db.close()
        finally:
            db.dec_thread_sharing()
        _kept.discard(db)


async def read(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``func`` (ORM reads) on one of the room's threads."""
    return await SyncToAsync(_keeping_connection(func), thread_sensitive=False, executor=_executor())(*args, **kwargs)


async def write(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``func`` (a service that writes) on one of the room's threads; one writer at a time on SQLite."""
    call = _keeping_connection(_serialised_on_sqlite(func))
    return await SyncToAsync(call, thread_sensitive=False, executor=_executor())(*args, **kwargs)


class _Batches:
    """The chat frames of one event loop (one web process) waiting for their transaction."""

    def __init__(self) -> None:
        sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        self.per_deal = not sqlite
        self.limit = 1 if sqlite else settings.DEAL_ROOM_DB_THREADS
        self.pending: list[tuple[ChatPost, asyncio.Future]] = []
        self.flushing = 0

    def take(self) -> list[tuple[ChatPost, asyncio.Future]]:
        if not self.per_deal:
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            return batch
        deal = self.pending[0][0].deal.pk
        chosen: list[tuple[ChatPost, asyncio.Future]] = []
        rest: list[tuple[ChatPost, asyncio.Future]] = []
        for item in self.pending:
            (chosen if item[0].deal.pk == deal and len(chosen) < MAX_BATCH else rest).append(item)
        self.pending = rest
        return chosen


_loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batches] = weakref.WeakKeyDictionary()


def _store(posts: list[ChatPost]) -> list[dict | DomainError]:
    return [r if isinstance(r, DomainError) else message_payload(r) for r in chat_post_many(posts=posts, live=False)]


async def chat(post: ChatPost) -> dict:
    """Store one chat frame with whatever else is waiting; its ``message_payload`` once committed (the caller
    broadcasts it), or its ``DomainError`` raised."""
    loop = asyncio.get_running_loop()
    batches = _loops.get(loop)
    if batches is None:
        batches = _loops[loop] = _Batches()
    done: asyncio.Future = loop.create_future()
    batches.pending.append((post, done))
    if batches.flushing < batches.limit:
        batches.flushing += 1
        loop.create_task(_flush(batches))
    return await done


async def _flush(batches: _Batches) -> None:
    try:
        while batches.pending:
            batch = batches.take()
            try:
                results = await write(_store, [post for post, _ in batch])
            except Exception as exc:  # the whole transaction failed: every frame in it hears so
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), result in zip(batch, results, strict=True):
                if done.done():  # its socket went away meanwhile
                    continue
                if isinstance(result, DomainError):
                    done.set_exception(result)
                else:
                    done.set_result(result)
    finally:
        batches.flushing -= 1
