"""The matching benchmark creates and deletes patents in its own database: their index tasks run in its process
against its own index, never on the configured broker, and the live index keeps every document (issue 8, item 4)."""
from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.celery import app
from search import get_search_backend, reset_search_backends
from search.interface import PatentDocument


@pytest.mark.django_db(transaction=True)
def test_bench_matching_never_publishes_to_the_configured_broker(settings, tmp_path, broker_publishes):
    if not (Path(settings.SHARED_DATA_DIR) / "cn_patents_title_ipc.csv").exists():
        pytest.skip(f"the real records are not here: {settings.SHARED_DATA_DIR}")
    from django.core.management import call_command

    live_path = settings.SEARCH_INDEX_PATH
    live = get_search_backend()
    live.index_many([PatentDocument(id=pk, publication_number=f"CN11{pk:07d}A", title=f"在线专利 {pk}")
                     for pk in range(1, 301)])
    output = tmp_path / "benchmarks.md"
    output.write_text("# Benchmarks\n")

    call_command("bench_matching", sample=200, size=400, demands=3, listings=5, output=str(output))

    assert broker_publishes == []
    assert app.conf.task_always_eager is False and settings.SEARCH_INDEX_PATH == live_path
    reset_search_backends()
    assert get_search_backend().count() == 300  # the live index lost nothing
    assert "## Matching" in output.read_text() or "atching" in output.read_text()
