"""No lost tasks: a real Celery worker on Redis is killed (SIGKILL) while indexing, matching and notifying; the
next worker finishes the work, and nothing is lost or told twice. Skips locally without REDIS_URL, fails in CI."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from listings.matching.models import DemandMatch
from marketplace.celery import app
from marketplace.models import Notification
from search import get_search_backend
from search.interface import SearchQuery
from tests.marketplace.worker_support import battery_world, pull_database, push_database, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
#: the news is e-mailed by a task the outbox owes (published to the default queue, which this test's workers leave)
EMAIL_TASK = "marketplace.send_notification_emails"


@contextmanager
def _writes_blocked(sqlite_path: Path | None):
    """Hold the write locks the tasks need, so a worker that took them stops in the middle: after reading and
    scoring, before its writes (the embedded index file; the database's match and notification tables)."""
    index = sqlite3.connect(settings.SEARCH_INDEX_PATH, isolation_level=None)
    index.execute("BEGIN IMMEDIATE")
    if sqlite_path is not None:
        db = sqlite3.connect(sqlite_path, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        s = connection.settings_dict
        db = psycopg.connect(
            dbname=s["NAME"], user=s["USER"], password=s.get("PASSWORD") or None,
            host=s.get("HOST") or "127.0.0.1", port=s.get("PORT") or 5432,
        )
        db.execute("LOCK TABLE listings_demandmatch, marketplace_notification IN EXCLUSIVE MODE")
    try:
        yield
    finally:
        db.rollback()
        db.close()
        index.rollback()
        index.close()


def _start_worker(env: dict, queue: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool", "threads", "--concurrency", "3",
         "-Q", queue, "--loglevel", "info", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def _owed_emails(sqlite_path: Path | None) -> set[uuid.UUID]:
    """The notification e-mails owed in the task outbox of the database the workers write."""
    sql = f"SELECT id FROM marketplace_outboxtask WHERE task = '{EMAIL_TASK}'"
    if sqlite_path is not None:
        db = sqlite3.connect(sqlite_path, timeout=30)
        try:
            rows = db.execute(sql).fetchall()
        finally:
            db.close()
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall()
    return {uuid.UUID(str(row[0])) for row in rows}


def _unacked_in(client: redis.Redis, queue: str) -> int:
    """Messages of this queue that a worker holds without having acknowledged them."""
    return sum(1 for raw in client.hvals("unacked") if json.loads(raw)[2] == queue)


def test_a_killed_worker_loses_nothing_and_tells_nobody_twice(redis_url, tmp_path):
    member, cathode, electrolyte, unindexed, wants_cathode, wants_electrolyte, listing = battery_world()

    database_url, sqlite_path = push_database(tmp_path)
    queue = f"lost-worker-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "DATABASE_URL", "SEARCH_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.local",
        "ZONE_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # hand a dead worker's messages out again after 12 s (production: 600); longer than the first worker holds
        # them, or Redis would hand them out again while it still runs them
        "CELERY_VISIBILITY_TIMEOUT": "12",
        "CELERY_RESTORE_INTERVAL": "1",
        "SEARCH_INDEX_PATH": str(settings.SEARCH_INDEX_PATH),
    })
    broker = redis.Redis.from_url(redis_url)
    client = Celery("lost-worker-client", broker=redis_url, set_as_current=False)  # or shared tasks follow it
    log = tmp_path / "worker.log"
    first = second = None
    try:
        with _writes_blocked(sqlite_path):
            client.send_task("search.index_patents", args=[[unindexed.pk]], queue=queue)
            client.send_task("listings.compute_demand_matches", args=[wants_cathode.pk], queue=queue)
            client.send_task("listings.notify_demands_for_listing", args=[listing.pk], queue=queue)
            first = _start_worker(env, queue, log)
            wait_for(lambda: broker.llen(queue) == 0 and _unacked_in(broker, queue) == 3, "the first worker to take all three tasks", log)
            wait_for(lambda: log.read_text().count("received") == 3, "the first worker to start all three tasks", log)
            time.sleep(1.0)  # let the three threads reach the locked writes
            assert "succeeded" not in log.read_text()
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
        assert _unacked_in(broker, queue) == 3  # killed before acknowledging: the broker still owes all three

        second = _start_worker(env, queue, log)
        wait_for(lambda: broker.llen(queue) == 0 and _unacked_in(broker, queue) == 0 and log.read_text().count("succeeded") >= 3,
                  "the second worker to finish the three tasks", log)
        assert log.read_text().count("succeeded") == 3  # each task ran to the end once
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
        broker.delete(queue)
        emails = _owed_emails(sqlite_path)
        default_queue = app.conf.task_default_queue
        for raw in broker.lrange(default_queue, 0, -1):  # no later worker should run them against another database
            if uuid.UUID(json.loads(raw)["headers"]["id"]) in emails:
                broker.lrem(default_queue, 0, raw)
    pull_database(sqlite_path)
    assert len(emails) >= 2  # the e-mails of the matching news and the listing news are owed, not lost

    # indexing: the patent the killed worker was writing is in the index, once
    backend = get_search_backend()
    assert backend.count() == 3
    assert unindexed.pk in {hit.id for hit in backend.search(SearchQuery(text="固态电池隔膜")).hits}
    # matching: the demand's ranking is stored, one row per patent
    rows = DemandMatch.objects.filter(demand=wants_cathode, is_current=True)
    assert cathode.pk in set(rows.values_list("patent_id", flat=True))
    assert rows.count() == len(set(rows.values_list("patent_id", flat=True)))
    # notifying: each piece of news reached the member exactly once
    told = Notification.objects.filter(recipient=member)
    assert told.filter(verb="demand.matches").count() == 1
    # the new listing is news for each demand it matches (the matcher may find it fits both), told once per demand
    listing_news = list(told.filter(verb="demand.listing_match").values_list("dedup_key", flat=True))
    assert listing_news and len(listing_news) == len(set(listing_news))
    assert any(key.startswith(f"demand.listing_match:{wants_electrolyte.pk}:") for key in listing_news)
    assert DemandMatch.objects.get(demand=wants_electrolyte, patent=electrolyte).listing_id == listing.pk
