"""Drift between the index and the database: found (missing, stale, orphan), printed by
``rebuild_index --check``, repaired by the periodic ``search.repair_index`` task (issue 8, item 4)."""
from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from listings.catalogue.models import Patent
from search import get_search_backend
from search.documents import iter_patent_documents
from search.drift import index_drift
from search.interface import PatentDocument
from tests.factories import PatentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def drifted():
    """Five patents indexed, then one lost from the index, one changed behind its back, one orphan left in it."""
    patents = PatentFactory.create_batch(5)
    backend = get_search_backend()
    backend.rebuild(iter_patent_documents())
    backend.delete(patents[0].pk)  # missing
    Patent.objects.filter(pk=patents[1].pk).update(title="改过的名称")  # stale (a queryset update sends no signal)
    backend.index_many([PatentDocument(id=990001, publication_number="CN119900001A", title="早已删除的专利")])  # orphan
    return patents


def test_drift_names_missing_stale_and_orphan_ids(drifted):
    drift = index_drift()
    assert (drift.patents, drift.indexed) == (5, 5)  # equal counts hide the drift; the ids do not
    assert drift.missing == (drifted[0].pk,)
    assert drift.stale == (drifted[1].pk,)
    assert drift.orphan == (990001,)
    assert not drift.clean


def test_rebuild_index_check_prints_the_difference_and_repair_fixes_it(drifted, capsys):
    with pytest.raises(CommandError, match="differs"):
        call_command("rebuild_index", "--check")
    out = capsys.readouterr().out
    assert f"missing 1: {drifted[0].pk}" in out
    assert f"stale 1: {drifted[1].pk}" in out
    assert "orphan 1: 990001" in out

    call_command("rebuild_index", "--repair")
    call_command("rebuild_index", "--check")
    assert "matches" in capsys.readouterr().out
    assert get_search_backend().document(drifted[1].pk).title == "改过的名称"


def test_the_periodic_task_repairs_the_index(drifted):
    from search.tasks import repair_index

    assert repair_index() == {"missing": 1, "stale": 1, "orphan": 1}
    assert index_drift().clean
    assert repair_index() == {"missing": 0, "stale": 0, "orphan": 0}


def test_the_repair_is_declared_in_the_beat_schedule():
    tasks = {entry["task"]: entry for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks["search.repair_index"]["schedule"] == 1800.0
