"""The search benchmark works on a throw-away index and database: it never touches the configured index file
and never publishes to the configured Celery broker."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.django_db
def test_bench_search_leaves_the_configured_index_and_broker_alone(settings, tmp_path, monkeypatch):
    data_dir = Path(settings.SHARED_DATA_DIR)
    if not (data_dir / "cn_patents_title_ipc.csv").exists():
        pytest.skip(f"the real records are not here: {data_dir}")
    from django.core.management import call_command
    from kombu.messaging import Producer

    from search import reset_search_backends

    live_index = tmp_path / "live" / "search-index.sqlite3"
    settings.SEARCH_INDEX_PATH = live_index
    reset_search_backends()
    published = []
    monkeypatch.setattr(Producer, "publish", lambda self, *a, **k: published.append((a, k)))
    import celery.app.task

    monkeypatch.setattr(celery.app.task.Task, "apply_async", lambda self, *a, **k: published.append((a, k)))
    # the ORM baseline runs on its own throw-away database alias, which pytest-django's connection guard
    # refuses; it is not what this test is about, so it is skipped here
    from search.management.commands import bench_search

    class NoBaseline:
        def __init__(self, path):
            pass

        def add(self, documents):
            pass

        def close(self):
            pass

    monkeypatch.setattr(bench_search, "BaselineDatabase", NoBaseline)
    monkeypatch.setattr(bench_search, "baseline_search", lambda query: None)
    output = tmp_path / "benchmarks.md"
    output.write_text("# Benchmarks\n")
    call_command("bench_search", size=300, repeat=1, baseline_repeat=1, output=str(output))
    assert not live_index.exists() and not live_index.parent.exists()
    assert published == []
    assert "## Search" in output.read_text()
