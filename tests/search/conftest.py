"""Engines for the shared contract suite: the embedded engine always, Elasticsearch when ELASTICSEARCH_URL is set."""
from __future__ import annotations

import os
import uuid

import pytest


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend(request, tmp_path):
    if request.param == "embedded":
        from search.backends.embedded import Backend

        engine = Backend(tmp_path / "contract-index.sqlite3")
        yield engine
        engine.close()
        return
    url = os.environ.get("ELASTICSEARCH_URL", "")
    if not url:
        pytest.skip("ELASTICSEARCH_URL is not set: no Elasticsearch server can run on this machine")
    from elasticsearch import Elasticsearch

    from search.backends.elasticsearch import Backend

    client = Elasticsearch(url, request_timeout=30)
    prefix = f"zptest{uuid.uuid4().hex[:8]}"
    engine = Backend(client, prefix=prefix, refresh=True)
    yield engine
    client.indices.delete(index=f"{prefix}-patents-*", ignore_unavailable=True)
    client.close()
