"""The demand board's industry filter offers every industry, grouped, and finds demands tagged with any of them;
the demand form's pickers (grouped industries, IPC lookup URL) degrade to plain inputs."""
from __future__ import annotations

import pytest

from listings.catalogue.models import Industry
from tests.factories import IndustryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def industries():
    zone = IndustryFactory(code="Z6", scheme=Industry.Scheme.ZONE, name_zh="光通信", name_en="Optical communication",
                           category="国家专利导航产业发展实验区主导产业")
    ai = IndustryFactory(code="SEI-1.5", scheme=Industry.Scheme.SEI2021, name_zh="人工智能",
                         name_en="Artificial intelligence", category="1 新一代信息技术产业")
    return zone, ai


def test_a_demand_tagged_with_a_sei_industry_is_found(client, industries, make_demand, demander, publish_demand):
    _zone, ai = industries
    tagged = publish_demand(make_demand(title="寻求视觉检测算法", industries=[ai]), owner=demander)
    publish_demand(make_demand(title="另一项需求"), owner=demander)
    html = client.get("/demands/").content.decode()
    assert '<optgroup label="1 新一代信息技术产业"><option value="SEI-1.5"' in html
    assert '<optgroup label="国家专利导航产业发展实验区主导产业"><option value="Z6"' in html
    found = client.get("/demands/", {"industry": "SEI-1.5"}).content.decode()
    assert tagged.title in found and "另一项需求" not in found


def test_groups_and_names_in_english(client, industries):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/demands/").content.decode()
    assert '<optgroup label="Next-generation information technology"><option value="SEI-1.5" >Artificial intelligence' in html
    assert "Leading industries of the patent-navigation experimental zones" in html


def test_the_demand_form_groups_industries_and_names_the_lookup(client, industries, demander):
    client.force_login(demander)
    html = client.get("/demands/new/").content.decode()
    assert 'data-ipc-picker' in html and 'data-lookup-url="/api/ipc/lookup/"' in html
    assert '<optgroup label="1 新一代信息技术产业">' in html and 'data-picker' in html
    assert "tom-select.complete.min.js" in html and "listings/pickers.js" in html
