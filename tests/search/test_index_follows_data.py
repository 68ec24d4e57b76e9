"""The index follows the data: committed writes reach the engine through the Celery task (eager in tests)."""
from __future__ import annotations

import pytest
from django.db import transaction

from listings.catalogue.models import Patent, PatentIpc
from search import get_search_backend
from search.interface import SearchFilters, SearchQuery
from search.tasks import index_patents
from tests.factories import PatentFactory

pytestmark = pytest.mark.django_db


def hits(text: str = "", **filters) -> list[int]:
    return [h.id for h in get_search_backend().search(SearchQuery(text=text, filters=SearchFilters(**filters))).hits]


def test_create_edit_delete_are_followed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        patent = PatentFactory(title="一种石墨烯散热膜", ipc=("H05K7/20",))
    assert hits("石墨烯") == [patent.id]

    with django_capture_on_commit_callbacks(execute=True):
        patent.title = "一种碳纳米管散热膜"
        patent.save()
    assert hits("石墨烯") == []
    assert hits("碳纳米管") == [patent.id]

    with django_capture_on_commit_callbacks(execute=True):
        PatentIpc.objects.filter(patent=patent).delete()
        PatentIpc.from_code(patent, "C01B32/158").save()
        patent.save()  # a service saves the patent after changing its codes
    assert hits(ipc="C01B") == [patent.id]
    assert hits(ipc="H05K") == []

    pk = patent.pk
    with django_capture_on_commit_callbacks(execute=True):
        patent.delete()
    assert hits("碳纳米管") == []
    assert pk not in hits()


def test_rolled_back_writes_never_reach_the_index(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                PatentFactory(title="回滚的超导线材")
                raise RuntimeError("abort")
        except RuntimeError:
            pass
    assert hits("超导") == []


def test_task_removes_ids_that_no_longer_exist(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        patent = PatentFactory(title="被批量删除的钙钛矿电池")
    assert hits("钙钛矿") == [patent.id]
    Patent.objects.filter(pk=patent.pk).delete()  # a bulk delete sends no per-row signal
    index_patents([patent.pk])
    assert hits("钙钛矿") == []
