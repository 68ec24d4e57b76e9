"""No lost tasks on the embedded default: kombu's filesystem broker forgets a message once a worker takes it, so a
worker killed with SIGKILL in the middle of indexing, matching and notifying would lose all three. The task outbox
(marketplace/outbox.py) owes them until they finish: the next worker publishes them again when it starts, and the
outcome is whole and told once.

Real processes throughout: a producer process commits the changes (the subscribers record the tasks in the outbox
and publish them to the filesystem broker), a worker takes them and stops inside each (tests/marketplace/
holding_worker.py: the index write, the push after matching's commit, the start of listing news), is killed with
SIGKILL, and a second, plain worker (``celery -A marketplace``) finishes them, and sends the e-mail of the news the
first worker committed but died before publishing."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from listings.matching.models import DemandMatch
from marketplace.models import Notification
from search import get_search_backend
from search.interface import SearchQuery
from tests.marketplace.worker_support import battery_world, pull_database, push_database, scalar, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]

#: where the first worker stops: before the index write, after matching committed (its live push), and at the
#: start of telling demands about a new listing
HOLDS = {
    "index": "search.backends.embedded:Backend.index_many",
    "push": "marketplace.notifications:_push",
    "listing-news": "listings.matching.services:listing_demands_notify",
}

#: the tasks the changes cause, and the e-mail of the notifications they send
TASKS = ("search.index_patents", "listings.compute_demand_matches", "listings.notify_demands_for_listing")
EMAIL_TASK = "marketplace.send_notification_emails"
#: the second worker's outbox lease, in seconds
LEASE = 2

PRODUCE = """
import sys
import django
django.setup()
from django.db import transaction
from listings.catalogue.signals import patents_changed
from listings.demands.models import Demand
from listings.demands.signals import demand_changed
from listings.trading.models import Listing
from listings.trading.signals import listing_published
patent, demand, listing = map(int, sys.argv[1:4])
with transaction.atomic():  # what the services send when a patent changes, a demand is edited, a listing published
    patents_changed.send(sender=None, patent_ids=[patent])
    demand_changed.send(sender=Demand, demand=Demand.objects.get(pk=demand))
    listing_published.send(sender=Listing, listing=Listing.objects.get(pk=listing))
"""


def _embedded_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    cleared = ("DJANGO_", "CELERY_", "DATABASE_URL", "SEARCH_", "REDIS_URL", "CACHE_URL", "ELASTICSEARCH_URL",
               "PROMETHEUS_MULTIPROC_DIR", "SENTRY_DSN")
    env = {k: v for k, v in os.environ.items() if not k.startswith(cleared)}
    env.update({
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.local",
        "ZONE_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": "filesystem://",  # the embedded default: no server
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SEARCH_INDEX_PATH": str(settings.SEARCH_INDEX_PATH),
    })
    return env


def _start_worker(app: str, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", app, "worker", "--pool", "threads", "--concurrency", "3",
         "--loglevel", "info", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def _succeeded(text: str) -> Counter[str]:
    """How often each task finished, by name, from the workers' log."""
    return Counter(re.findall(r"Task (\S+)\[[0-9a-f-]+\] succeeded", text))


def _queued(var: Path) -> int:
    """Messages waiting in the filesystem broker."""
    return len(list((var / "celery-broker" / "out").glob("*.msg")))


def test_a_worker_killed_mid_task_on_the_embedded_broker_loses_nothing_and_tells_nobody_twice(tmp_path):
    member, cathode, electrolyte, unindexed, wants_cathode, wants_electrolyte, listing = battery_world()

    database_url, sqlite_path = push_database(tmp_path)
    env = _embedded_env(tmp_path, database_url)
    var, holds, log = tmp_path / "var", tmp_path / "holds", tmp_path / "worker.log"
    holds.mkdir()
    log.touch()

    # the changes commit: three tasks are owed (outbox rows) and sit in the filesystem broker
    subprocess.run([sys.executable, "-c", PRODUCE, str(unindexed.pk), str(wants_cathode.pk), str(listing.pk)],
                   cwd=ROOT, env=env, check=True, timeout=120)
    assert scalar(sqlite_path, "SELECT count(*) FROM marketplace_outboxtask") == 3
    assert _queued(var) == 3

    first = second = None
    try:
        held_env = {**env, "HOLD_DIR": str(holds), "HOLD_AT": ",".join(f"{k}={v}" for k, v in HOLDS.items())}
        first = _start_worker("tests.marketplace.holding_worker", held_env, log)
        wait_for(lambda: all((holds / f"reached-{label}").exists() for label in HOLDS),
                 "the first worker to stop inside all three tasks", log)
        wait_for(lambda: scalar(sqlite_path, "SELECT count(*) FROM marketplace_outboxtask WHERE claimed_at IS NOT NULL") == 3,
                 "the first worker to claim all three tasks", log)
        assert _queued(var) == 0  # the filesystem broker has forgotten them: taken means gone
        assert "succeeded" not in log.read_text()
        # matching committed its ranking and its news before it stopped (in the live push): a re-run must not repeat it
        assert scalar(sqlite_path, "SELECT count(*) FROM marketplace_notification WHERE verb = 'demand.matches'") == 1
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        # still owed: all three, and the e-mail of matching's news, committed with it but never published (the
        # worker died in the push, before the commit's publish)
        assert scalar(sqlite_path, "SELECT count(*) FROM marketplace_outboxtask") == 4
        assert scalar(sqlite_path, f"SELECT count(*) FROM marketplace_outboxtask WHERE task = '{EMAIL_TASK}' "
                                   "AND claimed_at IS NULL") == 1

        # nobody claimed the e-mail, so it is due when its lease runs out: the second worker has a lease of
        # LEASE seconds (as if the 600 s had passed) and starts once that much time has gone by
        time.sleep(LEASE + 0.5)
        second = _start_worker("marketplace", {**env, "TASK_OUTBOX_LEASE_SECONDS": str(LEASE)}, log)
        wait_for(lambda: scalar(sqlite_path, "SELECT count(*) FROM marketplace_outboxtask") == 0
                 and all(_succeeded(log.read_text())[name] for name in TASKS),
                 "the second worker to finish the three tasks and the e-mails", log)
        text = log.read_text()
        done = _succeeded(text)
        assert [done[name] for name in TASKS] == [1, 1, 1]  # each task ran to the end once
        assert done[EMAIL_TASK] >= 2  # matching's news (made up) and the listing news (owed by the second worker)
        assert text.count("task outbox: publishing") == 4 and "4 task(s) owed by a lost worker" in text  # at start-up
        assert _queued(var) == 0
    finally:
        (holds / "release").touch()
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
    pull_database(sqlite_path)

    # indexing: the patent the killed worker was about to write is in the index
    backend = get_search_backend()
    assert backend.count() == 3
    assert unindexed.pk in {hit.id for hit in backend.search(SearchQuery(text="固态电池隔膜")).hits}
    # matching: the demand's ranking is stored, one row per patent
    rows = DemandMatch.objects.filter(demand=wants_cathode, is_current=True)
    assert cathode.pk in set(rows.values_list("patent_id", flat=True))
    assert rows.count() == len(set(rows.values_list("patent_id", flat=True)))
    # notifying: each piece of news reached the member exactly once
    told = Notification.objects.filter(recipient=member)
    # (the re-run scores with the separator now indexed, so it may announce that patent: news about another patent,
    # not a repeat) no patent is announced twice for the demand, and the cathode patent exactly once
    match_news = list(told.filter(verb="demand.matches").values_list("dedup_key", flat=True))
    announced = [int(i) for key in match_news for i in key.rsplit(":", 1)[-1].split(",")]
    assert len(announced) == len(set(announced)), match_news
    assert announced.count(cathode.pk) == 1 and set(announced) <= {cathode.pk, electrolyte.pk, unindexed.pk}
    listing_news = list(told.filter(verb="demand.listing_match").values_list("dedup_key", flat=True))
    assert listing_news and len(listing_news) == len(set(listing_news))
    assert any(key.startswith(f"demand.listing_match:{wants_electrolyte.pk}:") for key in listing_news)
    assert DemandMatch.objects.get(demand=wants_electrolyte, patent=electrolyte).listing_id == listing.pk
    # e-mail: every notification the member holds was e-mailed exactly once, the matching news whose e-mail the
    # killed worker never sent included (the console backend writes each message to the worker's log)
    assert not told.filter(emailed_at__isnull=True).exists()
    assert log.read_text().count(f"To: {member.email}") == told.count()
