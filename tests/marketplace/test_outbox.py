"""The task outbox (marketplace/outbox.py): a task is owed from the transaction that causes it, published after the
commit, claimed, finished or failed by the worker, and published again when its lease runs out or its worker dies.
(The end-to-end proof with a killed worker process: test_lost_task_embedded.py.)"""
from __future__ import annotations

import smtplib
import socket
import subprocess
import threading
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import transaction
from django.utils import timezone

from marketplace import notifications
from marketplace.celery import app
from marketplace.models import Notification, OutboxTask
from marketplace.notifications import notification_email_send, notify
from marketplace.outbox import (
    HEADER,
    lease,
    outbox_backlog,
    outbox_republish_due,
    outbox_retry_failed,
    task_enqueue_on_commit,
    this_process,
)
from marketplace.tasks import send_notification_emails
from marketplace.throwaway import _forget_connections, throwaway_side_effects
from marketplace.verbs import Verb
from search.tasks import index_patents
from tests.factories import PatentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Tasks as in production (not eager), each send recorded instead of published: (task, args, task id, outbox)."""
    recorded: list[tuple] = []

    def send_task(name, args=None, kwargs=None, task_id=None, headers=None, **options):
        recorded.append((name, args, task_id, (headers or {}).get(HEADER)))

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setattr(app, "send_task", send_task)
    return recorded


def _row(**values) -> OutboxTask:
    return OutboxTask.objects.create(task="search.index_patents", args=[[1]], **values)


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


# owed with the change, published after its commit ---------------------------------------------------------------
def test_a_task_is_owed_inside_the_transaction_and_published_once_it_commits(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            row = task_enqueue_on_commit(task=index_patents, args=[[7, 8]])
            assert row is not None and OutboxTask.objects.filter(pk=row.pk).exists()
            assert sent == []  # nothing leaves before the commit
    assert sent == [("search.index_patents", [[7, 8]], str(row.pk), str(row.pk))]  # the Celery id is the row's id
    assert (row.publish_count, row.claimed_at, row.failed_at) == (1, None, None)


def test_a_rolled_back_change_owes_nothing_and_publishes_nothing(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            task_enqueue_on_commit(task=index_patents, args=[[7]])
            raise RuntimeError("the change fails")
    assert not OutboxTask.objects.exists() and sent == []


def test_the_subscribers_owe_indexing_matching_and_listing_news(sent, django_capture_on_commit_callbacks):
    from listings.matching.services import demand_matches_refresh_on_commit, listing_published_on_commit
    from search.indexing import index_patents_on_commit, remove_patents_on_commit
    from tests.factories import DemandFactory, ListingFactory

    demand, listing = DemandFactory(), ListingFactory()
    OutboxTask.objects.all().delete()
    del sent[:]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        index_patents_on_commit([3, 1])
        remove_patents_on_commit([9])
        demand_matches_refresh_on_commit(demand=demand)
        listing_published_on_commit(listing=listing)
    owed = {(row.task, repr(row.args)) for row in OutboxTask.objects.all()}
    assert owed == {
        ("search.index_patents", "[[1, 3]]"), ("search.delete_patents", "[[9]]"),
        ("listings.compute_demand_matches", f"[{demand.pk}]"), ("listings.notify_demands_for_listing", f"[{listing.pk}]"),
    }
    assert sorted(name for name, *_ in sent) == sorted(task for task, _ in owed)


def test_eager_tasks_run_after_the_commit_and_leave_no_row(django_capture_on_commit_callbacks):
    from search import get_search_backend

    assert app.conf.task_always_eager
    with django_capture_on_commit_callbacks(execute=True):
        patent = PatentFactory()
        assert task_enqueue_on_commit(task=index_patents, args=[[patent.pk]]) is None
    assert not OutboxTask.objects.exists() and get_search_backend().count() == 1


def test_a_broker_that_does_not_answer_leaves_the_task_due_at_the_next_sweep(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setitem(app.conf, "task_always_eager", False)

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(app, "send_task", refuse)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = task_enqueue_on_commit(task=index_patents, args=[[7]])  # the change still commits
    row.refresh_from_db()
    assert row.published_at <= timezone.now() - lease()
    retried: list[str] = []
    monkeypatch.setattr(app, "send_task", lambda name, **kwargs: retried.append(kwargs["task_id"]))
    assert outbox_republish_due() == 1 and retried == [str(row.pk)]


# published again: lease, dead worker, failures -----------------------------------------------------------------
def test_the_sweep_publishes_again_what_is_past_its_lease_or_held_by_a_dead_worker_here(sent):
    now = timezone.now()
    old, recent = now - lease() - timedelta(seconds=1), now - timedelta(seconds=5)
    host = socket.gethostname()
    due = {
        "never claimed, past its lease": _row(published_at=old),
        "claimed by a process on this host that died": _row(published_at=recent, claimed_at=recent,
                                                             claimed_by=f"{host}:{_dead_pid()}"),
        "claimed elsewhere, long ago": _row(published_at=old, claimed_at=old, claimed_by="other-host:12"),
    }
    not_due = {
        "just published": _row(published_at=recent),
        "running here": _row(published_at=old, claimed_at=recent, claimed_by=this_process()),
        "running on another host": _row(published_at=old, claimed_at=recent, claimed_by="other-host:12"),
        "failed": _row(published_at=old, failed_at=recent, error="ValueError()"),
    }
    assert outbox_republish_due(now=now) == 3
    assert {task_id for _, _, task_id, _ in sent} == {str(row.pk) for row in due.values()}
    for row in due.values():
        row.refresh_from_db()
        assert (row.publish_count, row.published_at, row.claimed_at, row.claimed_by) == (2, now, None, "")
    for row in not_due.values():
        assert OutboxTask.objects.get(pk=row.pk).publish_count == 1
    assert outbox_republish_due(now=now) == 0  # taken once: a second sweep finds nothing due
    assert len(sent) == 3


def test_the_beat_task_and_a_failed_task_retried_by_an_operator(sent, settings):
    from marketplace.tasks import outbox_republish

    assert any(e["task"] == "marketplace.outbox_republish" for e in settings.CELERY_BEAT_SCHEDULE.values())
    stale = _row(published_at=timezone.now() - lease() - timedelta(seconds=1))
    failed = _row(failed_at=timezone.now(), error="ValueError('bad')")
    assert outbox_republish.run() == 1 and sent[-1][2] == str(stale.pk)
    assert outbox_retry_failed() == 1 and sent[-1][2] == str(failed.pk)
    failed.refresh_from_db()
    assert (failed.failed_at, failed.error, failed.publish_count) == (None, "", 2)


def test_a_throwaway_run_neither_records_nor_publishes_through_the_outbox(
    broker_publishes, django_capture_on_commit_callbacks, tmp_path
):
    stale = _row(published_at=timezone.now() - lease() - timedelta(hours=1))
    patent = PatentFactory()
    OutboxTask.objects.exclude(pk=stale.pk).delete()
    del broker_publishes[:]
    with throwaway_side_effects(index_path=tmp_path / "own.sqlite3"):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            assert task_enqueue_on_commit(task=index_patents, args=[[patent.pk]]) is None  # ran here, eagerly
        assert outbox_republish_due() == 0
    assert broker_publishes == []
    assert list(OutboxTask.objects.values_list("pk", "publish_count")) == [(stale.pk, 1)]


# the worker's side: claim, finish, fail -------------------------------------------------------------------------
_CLAIMS: dict[str, str] = {}
_DONE = threading.Event()


@app.task(name="tests.outbox_claim_seen")
def _claim_seen() -> None:
    from celery import current_task

    _CLAIMS["claimed_by"] = OutboxTask.objects.get(pk=current_task.request.id).claimed_by
    _DONE.set()


@app.task(name="tests.outbox_gives_up")
def _gives_up() -> None:
    _DONE.set()
    raise ValueError("cannot be done")


@app.task(name="tests.outbox_retries_once", bind=True, max_retries=3)
def _retries_once(self) -> None:
    if not self.request.retries:
        raise self.retry(countdown=0)
    _CLAIMS["retries"] = str(self.request.retries)
    _DONE.set()


@pytest.fixture
def real_worker():
    """A real Celery worker thread on an in-memory broker: messages are published and consumed, not run eagerly."""
    conf = app.conf
    saved = {k: conf[k] for k in ("task_always_eager", "broker_url", "broker_transport_options")}
    conf.update(task_always_eager=False, broker_url="memory://", broker_transport_options={})
    _forget_connections(app)
    _CLAIMS.clear()
    _DONE.clear()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        conf.update(saved)
        _forget_connections(app)


def _wait_until(condition) -> bool:
    for _ in range(300):
        if condition():
            return True
        threading.Event().wait(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_the_worker_claims_a_task_and_deletes_it_when_it_succeeds(real_worker):
    row = task_enqueue_on_commit(task=_claim_seen)  # autocommit: published at once
    assert row is not None
    assert _DONE.wait(timeout=30), "the worker never ran the task"
    assert _CLAIMS["claimed_by"] == this_process()  # (the worker is a thread of this process)
    assert _wait_until(lambda: not OutboxTask.objects.filter(pk=row.pk).exists())


@pytest.mark.django_db(transaction=True)
def test_a_retried_task_stays_owed_until_its_retry_succeeds(real_worker):
    row = task_enqueue_on_commit(task=_retries_once)
    assert row is not None and _DONE.wait(timeout=30)
    assert _CLAIMS["retries"] == "1"  # the retry is a new message of the same task id, with the outbox header
    assert _wait_until(lambda: not OutboxTask.objects.filter(pk=row.pk).exists())


@pytest.mark.django_db(transaction=True)
def test_a_task_that_gives_up_is_kept_as_failed_and_not_published_again(real_worker, monkeypatch):
    row = task_enqueue_on_commit(task=_gives_up)
    assert row is not None and _DONE.wait(timeout=30)
    assert _wait_until(lambda: OutboxTask.objects.get(pk=row.pk).failed_at is not None)
    assert "cannot be done" in OutboxTask.objects.get(pk=row.pk).error
    assert outbox_republish_due(now=timezone.now() + 2 * lease()) == 0


# a notification's e-mail: owed with the notification row, sent once ----------------------------------------------
class _Killed(BaseException):
    """The worker process dying: nothing catches it."""


def test_a_notifications_email_is_owed_in_the_transaction_of_its_row(sent, django_capture_on_commit_callbacks):
    ann, bo, mute = UserFactory(email="ann@example.cn"), UserFactory(email="bo@example.cn"), UserFactory(email="")
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(users=[ann], verb=Verb.DEMAND_MATCHES, title="新匹配")
            raise RuntimeError("the change fails")
    assert not Notification.objects.exists() and not OutboxTask.objects.exists() and sent == []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        told = notify(users=[ann, bo, mute], verb=Verb.DEMAND_MATCHES, title="新匹配", by=bo)
        row = OutboxTask.objects.get()  # one task for the call: ann's (bo acted; mute has no address)
        assert (row.task, row.args) == ("marketplace.send_notification_emails", [[told[0].pk]]) and sent == []
    assert sent == [("marketplace.send_notification_emails", [[told[0].pk]], str(row.pk), str(row.pk))]


def test_the_email_is_sent_once_however_often_its_task_runs_and_again_after_a_failed_send(monkeypatch):
    notification = Notification.objects.create(
        recipient=UserFactory(email="ann@example.cn"), verb=Verb.DEMAND_MATCHES, title="新匹配",
    )

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("the mail server went away")

    monkeypatch.setattr(notifications, "send_mail", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        notification_email_send(notification.pk)
    assert Notification.objects.get().emailed_at is None  # the mark went with the failed send: still owed
    monkeypatch.undo()
    assert send_notification_emails.run([notification.pk]) == 1
    assert send_notification_emails.run([notification.pk]) == 0
    assert [m.to for m in mail.outbox] == [["ann@example.cn"]] and Notification.objects.get().emailed_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_notification_whose_email_task_never_ran_is_emailed_once_by_the_redelivery(real_worker, monkeypatch):
    def dies(notification):
        raise _Killed

    monkeypatch.setattr(notifications, "_push", dies)
    with pytest.raises(_Killed), transaction.atomic():  # the worker dies in the live push, right after the commit
        [notification] = notify(users=[UserFactory(email="ann@example.cn")], verb=Verb.DEMAND_MATCHES, title="新匹配")
    monkeypatch.undo()
    row = OutboxTask.objects.get()  # committed with the notification, never published, never run
    assert (row.task, row.args, row.claimed_at) == ("marketplace.send_notification_emails", [[notification.pk]], None)
    assert mail.outbox == []
    # the sweep (beat, every minute) publishes it once its lease has run out; the worker runs it
    assert outbox_republish_due(now=timezone.now() + lease() + timedelta(seconds=1)) == 1
    assert _wait_until(lambda: not OutboxTask.objects.exists())
    assert [m.to for m in mail.outbox] == [["ann@example.cn"]]
    assert Notification.objects.get().emailed_at is not None
    # the same task delivered again (a second sweep, a broker's redelivery) e-mails nobody twice
    task_enqueue_on_commit(task=send_notification_emails, args=[[notification.pk]])
    assert _wait_until(lambda: not OutboxTask.objects.exists())
    assert len(mail.outbox) == 1
    assert outbox_republish_due(now=timezone.now() + 2 * lease()) == 0


# what operators see --------------------------------------------------------------------------------------------
def test_the_backlog_shows_in_healthz_and_metrics(client, django_user_model):
    assert client.get("/healthz").json()["checks"]["tasks"]["status"] == "ok"
    now = timezone.now()
    _row(published_at=now)
    _row(published_at=now - lease() - timedelta(seconds=1), created_at=now - timedelta(hours=1))
    _row(failed_at=now)
    assert outbox_backlog(now=now) == {"pending": 2, "overdue": 1, "failed": 1, "oldest_seconds": 3600}
    response = client.get("/healthz")
    tasks = response.json()["checks"]["tasks"]
    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert (tasks["status"], tasks["pending"], tasks["overdue"], tasks["failed"]) == ("backlog", 2, 1, 1)

    client.force_login(django_user_model.objects.create_user("ops", is_staff=True))
    text = client.get("/metrics").content.decode()
    assert 'zonepatent_task_outbox_tasks{state="overdue"} 1.0' in text
    assert 'zonepatent_task_outbox_tasks{state="pending"} 2.0' in text


def test_the_command_lists_what_is_owed_and_makes_it_up(sent):
    from io import StringIO

    from django.core.management import call_command

    stale = _row(published_at=timezone.now() - lease() - timedelta(seconds=1))
    failed = _row(failed_at=timezone.now(), error="ValueError('bad')")
    out = StringIO()
    call_command("task_outbox", stdout=out)
    text = out.getvalue()
    assert "pending 1 · overdue 1 · failed 1" in text
    assert f"{failed.pk} FAILED  search.index_patents[[1]]" in text and "ValueError('bad')" in text
    assert f"{stale.pk} queued  search.index_patents" in text
    call_command("task_outbox", "--republish", "--retry-failed", stdout=out)
    assert "published again: 1" in out.getvalue() and "failed tasks sent again: 1" in out.getvalue()
    assert {task_id for _, _, task_id, _ in sent} == {str(stale.pk), str(failed.pk)}
