"""/patents/: the filtered list and the detail page of every bibliographic field."""
import re

import pytest

from listings.catalogue.models import Patent
from tests.factories import PatentFactory

pytestmark = pytest.mark.django_db


def _numbers(response) -> set[str]:
    return set(re.findall(r'data-publication-number="([^"]+)"', response.content.decode()))


def _titles(zone_db, *indexes) -> set[str]:
    return {zone_db["patents"][i].publication_number for i in indexes}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", (0, 1, 2, 3, 4)),
        ("zone=Z1", (0, 1, 2)),
        ("zone=baoji", (3, 4)),  # slug works as well as code
        ("industry=Z8", (3,)),
        ("section=H", (0, 1, 2)),
        ("section=C", (3,)),
        ("ipc=H04W", (0, 1)),
        ("ipc=H04", (0, 1, 2)),
        ("ipc=H04W 4/02", (0,)),
        ("ipc=H04L67/00", (0,)),
        ("kind=utility_model", (2,)),
        ("kind=design", (4,)),
        ("status=pending", (1,)),
        ("status=lapsed", (3,)),
        ("zone=Z1&kind=invention", (0, 1)),
        ("zone=Z1&kind=invention&status=in_force", (0,)),
        ("zone=Z8&section=H", ()),
    ],
)
def test_each_filter_narrows(zone_db, client, query, expected):
    response = client.get(f"/patents/?{query}")
    assert response.status_code == 200
    assert _numbers(response) == _titles(zone_db, *expected)
    assert response.context["page_obj"].paginator.count == len(expected)


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("zone=Z99", "zone"),
        ("industry=nope", "industry"),
        ("kind=software", "kind"),
        ("status=alive", "status"),
        ("ipc=XYZ/1", "ipc"),
        ("section=Q", "section"),
        ("zone=Z1&kind=bogus", "kind"),
    ],
)
def test_unknown_filter_values_give_an_empty_result_naming_the_parameter(zone_db, client, query, param):
    response = client.get(f"/patents/?{query}")
    html = response.content.decode()
    assert response.status_code == 400
    assert _numbers(response) == set()
    assert f'data-param="{param}"' in html
    assert [e.param for e in response.context["filter_errors"]] == [param]
    assert 'id="patent-filters"' in html  # the form is still there to correct the value


def test_filter_form_keeps_the_selection(zone_db, client):
    html = client.get("/patents/?zone=Z1&kind=invention").content.decode()
    assert '<option value="Z1" selected>' in html
    assert '<option value="invention" selected>' in html


def test_pagination_twenty_per_page_keeps_filters(zone_db, client):
    zone = zone_db["zones"]["Z8"]
    PatentFactory.create_batch(43, zones=[zone], year=2021)
    first = client.get("/patents/?zone=Z8")
    assert len(_numbers(first)) == 20
    assert first.context["page_obj"].paginator.num_pages == 3
    assert "?zone=Z8&amp;page=2" in first.content.decode()
    third = client.get("/patents/?zone=Z8&page=3")
    assert len(_numbers(third)) == 45 - 40
    assert len(_numbers(client.get("/patents/?zone=Z8&page=abc"))) == 20  # a bad page number is page 1


def test_detail_shows_every_bibliographic_field(zone_db, client):
    patent = zone_db["patents"][0]
    response = client.get(f"/patents/{patent.publication_number}/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "发明" in html  # kind
    assert patent.application_number in html
    assert f"ZL{patent.application_number}" in html
    granted = patent.publication_number.replace("A", "B")
    assert re.search(rf"{patent.publication_number}</span> · 文献种类代码 <strong class=\"mono\">A</strong>（申请公布）", html)
    assert re.search(rf"{granted}</span> · 文献种类代码 <strong class=\"mono\">B</strong>（授权公告）", html)
    assert "一种基于位置的移动服务推送方法" in html
    assert patent.abstract in html and "1. 一种无线通信方法" in html
    assert "北京移动科技有限公司" in html and "王五；赵六" in html
    assert 'id="field-application-date">2018-03-15<' in html
    assert 'id="field-publication-date">2018-09-20<' in html
    assert 'id="field-grant-date">2021-05-07<' in html
    assert 'id="field-expiry-date">2038-03-15' in html  # invention: 20 years from filing, computed
    assert "有效" in html
    assert "中关村科技园区" in html and "移动互联网" in html
    assert "CNIPA 公布公告" in html


def test_detail_shows_each_ipc_code_with_its_path_and_chinese_titles(zone_db, client):
    patent = zone_db["patents"][0]
    response = client.get(patent.get_absolute_url())
    html = response.content.decode()

    lines = response.context["ipc_lines"]
    assert [line.code for line in lines] == ["H04W4/02", "H04L67/10"]
    assert lines[0].path == [
        ("section", "H", "电学"),
        ("class", "H04", "电通信技术"),
        ("subclass", "H04W", "无线通信网络"),
        ("main_group", "H04W4/00", "专门适用于无线通信网络的业务"),
        ("subgroup", "H04W4/02", "利用位置信息的业务"),
    ]
    assert lines[1].path[3] == ("main_group", "H04L67/00", "用于支持网络服务或应用程序的网络布置或协议")
    assert lines[1].path[4] == ("subgroup", "H04L67/10", "")  # no title in the scheme: code only
    assert 'href="/search/?ipc=H04W4/02"' in html.replace("%2F", "/")
    assert 'href="/search/?ipc=H04W"' in html
    assert ">H04W 4/02</a>" in html
    assert "利用位置信息的业务" in html


def test_detail_in_english_uses_english_ipc_titles_and_labels(zone_db, client):
    client.cookies["django_language"] = "en"
    html = client.get(zone_db["patents"][0].get_absolute_url()).content.decode()
    assert "Services making use of location information" in html
    assert "利用位置信息的业务" not in html
    assert "Application number" in html and "Expiry date (computed)" in html


def test_detail_without_publication_rows_uses_the_patent_number(zone_db, client):
    patent = zone_db["patents"][4]  # a design, no PatentPublication rows
    html = client.get(patent.get_absolute_url()).content.decode()
    assert re.search(rf"{patent.publication_number}</span> · 文献种类代码 <strong class=\"mono\">S</strong>", html)
    assert 'id="field-expiry-date">2037-03-15' in html  # design filed after 2021-06-01: 15 years


def test_detail_accepts_lower_case_and_404s_for_unknown_numbers(zone_db, client):
    patent = zone_db["patents"][1]
    assert client.get(f"/patents/{patent.publication_number.lower()}/").status_code == 200
    response = client.get("/patents/CN999999999A/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    assert not Patent.objects.filter(publication_number="CN999999999A").exists()
