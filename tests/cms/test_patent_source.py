"""A public patent page names where its data came from as a human label with the licence, never the file name."""
from __future__ import annotations

import pytest

from listings.catalogue.models import Patent
from tests.factories import PatentFactory

pytestmark = pytest.mark.django_db


def _source_block(html: str) -> str:
    return html.split('id="field-source"')[1].split("</dd>")[0]


def test_the_source_is_a_label_with_its_licence(client):
    patent = PatentFactory()
    Patent.objects.filter(pk=patent.pk).update(source="cn_patents_title_ipc.csv", sources=["cn_patents_title_ipc.csv"])
    block = _source_block(client.get(patent.get_absolute_url()).content.decode())
    assert "cn_patents_title_ipc.csv" not in block
    assert "中文专利 IPC 分类数据集" in block and "MIT License" in block and "lxingy3" in block

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    block = _source_block(client.get(patent.get_absolute_url()).content.decode())
    assert "Chinese patent IPC classifier data set" in block and "MIT License" in block
