"""/metrics (who may read it, what it holds), request ids (echoed, carried into the tasks a request queues) and the
rules that decide how many web workers ``serve`` runs."""
from __future__ import annotations

import threading

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management.base import CommandError
from django.http import HttpResponse
from django.test import RequestFactory

from marketplace.celery import app as celery_app
from marketplace.management.commands.serve import web_workers
from marketplace.observability import HEADER, RequestIdMiddleware, request_id
from marketplace.tasks import ping
from tests.factories import PatentFactory, UserFactory

pytestmark = pytest.mark.django_db

CUSTOM_METRICS = (
    "zonepatent_celery_tasks_total",
    "zonepatent_celery_task_duration_seconds",
    "zonepatent_search_duration_seconds",
    "zonepatent_search_index_documents",
    "zonepatent_database_patents",
    "zonepatent_websockets_open",
    "zonepatent_task_outbox_tasks",
    "zonepatent_task_outbox_oldest_seconds",
    "django_http_requests_latency_seconds_by_view_method",
)


# /metrics --------------------------------------------------------------------------------------------------------
def test_metrics_refuse_anonymous_visitors_and_signed_in_non_staff(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    client.force_login(UserFactory(is_staff=False))
    assert client.get("/metrics").status_code == 403


def test_metrics_without_a_configured_token_refuse_every_bearer(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_metrics_answer_the_scraper_token_and_staff_with_the_exchange_metrics(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    PatentFactory.create_batch(3)
    ping.delay()  # eager in the suite: Celery's signals still count it
    assert client.get("/api/search/patents", {"q": "电池"}).status_code == 200  # one timed search
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    text = response.content.decode()
    for name in CUSTOM_METRICS:
        assert name in text, name
    assert 'zonepatent_celery_tasks_total{state="SUCCESS",task="marketplace.ping"}' in text
    assert "zonepatent_database_patents 3.0" in text
    assert 'zonepatent_search_duration_seconds_count{engine="' in text
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/metrics").status_code == 200


# request ids -----------------------------------------------------------------------------------------------------
def test_a_request_id_from_the_proxy_is_answered_back(client):
    response = client.get("/healthz/live", HTTP_X_REQUEST_ID="edge-42.a")
    assert response[HEADER] == "edge-42.a"


def test_a_request_without_one_or_with_a_malformed_one_gets_a_fresh_id(client):
    first = client.get("/healthz/live")[HEADER]
    second = client.get("/healthz/live", HTTP_X_REQUEST_ID="bad id\nwith newline")[HEADER]
    assert len(first) == 32 and len(second) == 32 and first != second


_SEEN: dict[str, str] = {}
_RAN = threading.Event()


@celery_app.task(name="tests.request_id_seen")
def _request_id_seen() -> None:
    _SEEN["request_id"] = request_id.get()
    _RAN.set()


@pytest.fixture
def real_worker():
    """A real Celery worker thread on an in-memory broker: messages are published and consumed, not run eagerly."""
    conf = celery_app.conf
    saved = {k: conf[k] for k in ("task_always_eager", "broker_url", "broker_transport_options")}
    conf.update(task_always_eager=False, broker_url="memory://", broker_transport_options={})
    _SEEN.clear()
    _RAN.clear()
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        conf.update(saved)


def test_the_request_id_follows_a_request_into_the_task_it_queues(real_worker):
    def view(request):
        with celery_app.connection_for_write("memory://") as broker:
            _request_id_seen.apply_async(connection=broker)  # published: the worker thread takes it
        return HttpResponse("ok")

    response = RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="approve-7"))
    assert response[HEADER] == "approve-7"
    assert _RAN.wait(timeout=30), "the worker never ran the task"
    assert _SEEN["request_id"] == "approve-7"
    assert request_id.get() == ""  # nothing leaks out of the request


# worker count --------------------------------------------------------------------------------------------------
def test_the_embedded_default_runs_one_web_worker_and_refuses_more(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    count, why = web_workers(None)
    assert count == 1 and "in-memory" in why
    assert web_workers(1)[0] == 1
    with pytest.raises(CommandError, match="REDIS_URL"):
        web_workers(2)


def test_with_the_redis_layer_workers_follow_the_flag_then_web_concurrency_then_the_cores(settings, monkeypatch):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": []}}}
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert web_workers(5) == (5, "--workers")
    assert web_workers(None) == (3, "WEB_CONCURRENCY")
    monkeypatch.delenv("WEB_CONCURRENCY")
    monkeypatch.setattr("os.cpu_count", lambda: 6)
    assert web_workers(None)[0] == 6
