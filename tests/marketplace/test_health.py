"""``/healthz``: liveness touches nothing, readiness probes each dependency and leaves nothing behind."""
from __future__ import annotations

import pytest
from channels.layers import channel_layers, get_channel_layer

from tests.factories import PatentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 100}}}
    channel_layers.backends.clear()
    yield get_channel_layer()
    channel_layers.backends.clear()


def test_a_thousand_probes_stay_healthy_and_leave_no_channel_behind(client, fresh_layer):
    # capacity 100: the old probe (a send to a channel nobody reads) turned 503 after 100 requests
    for _ in range(1000):
        response = client.get("/healthz")
        assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["channel_layer"]["status"] == "ok"
    assert fresh_layer.channels == {}


def test_liveness_answers_without_touching_dependencies(client, settings, django_assert_num_queries):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.BaseChannelLayer"}}  # would fail a probe
    channel_layers.backends.clear()
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    channel_layers.backends.clear()
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_names_a_dependency_that_does_not_answer(client, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.BaseChannelLayer"}}  # send() not implemented
    channel_layers.backends.clear()
    response = client.get("/healthz/ready")
    channel_layers.backends.clear()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["channel_layer"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"


def test_channel_probe_times_out_instead_of_hanging(monkeypatch, fresh_layer):
    from marketplace import health

    async def never(channel):
        import asyncio

        await asyncio.sleep(60)

    monkeypatch.setattr(fresh_layer, "receive", never)
    result = health._probe(lambda: health.probe_channel_layer(timeout=0.05))
    assert result["status"] == "error"
    assert "TimeoutError" in result["error"]


def test_search_probe_compares_the_index_with_the_database(client, fresh_layer):
    from search import get_search_backend
    from search.documents import iter_patent_documents

    patents = PatentFactory.create_batch(3)
    get_search_backend().rebuild(iter_patent_documents())  # everything indexed
    search = client.get("/healthz").json()["checks"]["search"]
    assert (search["patents"], search["indexed"], search["drift"]) == (3, 3, 0)

    get_search_backend().delete(patents[0].pk)  # the index fell one behind
    search = client.get("/healthz").json()["checks"]["search"]
    assert (search["patents"], search["indexed"], search["drift"]) == (3, 2, 1)
    assert search["status"] == "ok"


def test_a_drift_that_outlasts_the_grace_period_degrades_healthz(client, fresh_layer, settings, monkeypatch):
    from marketplace import health
    from search import get_search_backend
    from search.documents import iter_patent_documents

    settings.SEARCH_DRIFT_GRACE_SECONDS = 600
    patents = PatentFactory.create_batch(3)
    get_search_backend().rebuild(iter_patent_documents())
    get_search_backend().delete(patents[0].pk)
    clock = [1_000_000.0]
    monkeypatch.setattr(health.time, "time", lambda: clock[0])

    body = client.get("/healthz").json()  # first seen now: commits reach the index a moment later
    assert (body["status"], body["checks"]["search"]["status"], body["checks"]["search"]["drift_seconds"]) == ("ok", "ok", 0)

    clock[0] += 601  # still different ten minutes later
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200  # the site still serves; monitoring reads the status
    assert body["status"] == "degraded"
    assert body["checks"]["search"]["status"] == "drift"
    assert (body["checks"]["search"]["patents"], body["checks"]["search"]["indexed"]) == (3, 2)
    assert body["checks"]["search"]["drift_seconds"] == 601

    get_search_backend().rebuild(iter_patent_documents())  # repaired: the clock starts again at the next drift
    assert client.get("/healthz").json()["status"] == "ok"
    get_search_backend().delete(patents[1].pk)
    assert client.get("/healthz").json()["checks"]["search"]["drift_seconds"] == 0
