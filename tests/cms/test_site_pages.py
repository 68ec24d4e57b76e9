"""The Wagtail pages: home, zone index, zone pages and the service-agency directory."""
import json
import re

import pytest

from listings.catalogue.models import Patent
from tests.factories import PatentFactory, ServiceAgencyFactory

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


def _json_script(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_home_shows_every_zone_with_live_counts(site_pages, client):
    html = _text(client.get("/"))

    assert "中关村科技园区" in html and "宝鸡高新技术产业开发区" in html
    cards = dict(re.findall(r'data-zone="(Z\d)".*?class="zone-count">(\d+)<', html, re.S))
    assert cards == {"Z1": "3", "Z8": "2"}
    assert re.search(r'id="total-patents">5<', html)
    assert re.search(r'id="in-force-patents">3<', html)
    chart = _json_script(html, "zone-chart-data")
    assert chart == {"labels": ["中关村", "宝鸡"], "total": [3, 2], "in_force": [2, 1]}
    assert "vendor/echarts/echarts.min.js" in html
    assert 'href="/zones/zhongguancun/"' in html


def test_home_counts_follow_the_database(site_pages, client, zone_db):
    PatentFactory(zones=[zone_db["zones"]["Z8"]])
    chart = _json_script(_text(client.get("/")), "zone-chart-data")
    assert chart["total"] == [3, 3] and chart["in_force"] == [2, 2]


def test_zone_index_lists_zone_pages(site_pages, client):
    html = _text(client.get("/zones/"))
    assert html.index("中关村科技园区") < html.index("宝鸡高新技术产业开发区")
    assert 'href="/zones/baoji/"' in html


def test_zone_page_shows_industry_scope_with_chinese_titles_and_counts(site_pages, client):
    response = client.get("/zones/zhongguancun/")
    html = _text(response)

    assert response.status_code == 200
    assert "移动互联网" in html
    assert 'id="park-name">中关村科技园区<' in html
    assert re.search(r'id="zone-total">3<', html) and re.search(r'id="zone-in-force">2<', html)
    scope = {rule.pattern: rule.title for rule in response.context["scope"]}
    assert scope == {"H04W": "无线通信网络", "H04L67/": "用于支持网络服务或应用程序的网络布置或协议"}
    assert "无线通信网络" in html
    assert "/patents/?zone=Z1&amp;ipc=H04L67/00" in html.replace("%2F", "/")
    subclasses = _json_script(html, "map-subclass-data")
    assert dict(zip(subclasses["labels"], subclasses["counts"])) == {"H04W": 2, "H04L": 1, "H04B": 1}
    assert subclasses["titles"][subclasses["labels"].index("H04W")] == "无线通信网络"
    years = _json_script(html, "map-year-data")
    assert years == {"labels": ["2018", "2020"], "counts": [1, 2]}


def test_zone_page_in_english_uses_english_titles(site_pages, client):
    client.cookies["django_language"] = "en"
    html = _text(client.get("/zones/zhongguancun/"))
    assert "WIRELESS COMMUNICATION NETWORKS" in html
    assert "Zhongguancun Science Park" in html
    assert "Mobile internet" in html


def test_agency_directory_lists_only_service_agencies_with_services(site_pages, client, zone_db):
    ServiceAgencyFactory(name="中关村知识产权运营服务中心", services=["专利运营", {"name": "专利评估"}],
                         zone=zone_db["zones"]["Z1"])
    ServiceAgencyFactory(name="宝鸡钛产业专利代理所", services=["专利代理"], zone=zone_db["zones"]["Z8"])
    ServiceAgencyFactory(name="某钛业有限公司", kind="enterprise")

    html = _text(client.get("/agencies/"))
    assert "中关村知识产权运营服务中心" in html and "宝鸡钛产业专利代理所" in html
    assert "某钛业有限公司" not in html
    assert "专利运营" in html and "专利评估" in html and "{" not in html.split("services")[-1].split("</ul>")[0]

    only_z8 = _text(client.get("/agencies/?zone=Z8"))
    assert "宝鸡钛产业专利代理所" in only_z8 and "中关村知识产权运营服务中心" not in only_z8


def test_every_page_has_the_mobile_viewport_and_the_nav(site_pages, client, zone_db):
    detail = zone_db["patents"][0].get_absolute_url()
    for url in ("/", "/zones/", "/zones/baoji/", "/agencies/", "/patents/", detail):
        html = _text(client.get(url))
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html, url
        for label in ("首页", "实验区", "专利库", "检索", "服务机构"):
            assert f">{label}</a>" in html, (url, label)
        assert 'href="/search/"' in html and 'id="notification-bell"' in html
        assert 'action="/i18n/setlang/"' in html and "csrfmiddlewaretoken" in html
        assert "/accounts/login/" in html


def test_demo_banner_only_when_demo_records_exist(site_pages, client):
    assert "演示数据 / Demo data" not in _text(client.get("/"))
    Patent.objects.filter(pk=Patent.objects.first().pk).update(is_demo=True)
    html = _text(client.get("/patents/"))
    assert "演示数据 / Demo data:</strong> generated records, not real patents" in html


def test_english_switch_changes_ui_strings(site_pages, client):
    assert ">专利库</a>" in _text(client.get("/"))

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/patents/"})
    assert response.status_code == 302 and response["Location"] == "/patents/"

    html = _text(client.get("/patents/"))
    assert '<html lang="en">' in html
    assert ">Patents</a>" in html and ">Zones</a>" in html and ">Agencies</a>" in html
    assert ">专利库</a>" not in html
    assert "Invention" in html  # the kind select, translated model choices
    home = _text(client.get("/"))
    assert "Zhongguancun Science Park" in home and "The patent exhibition and trading network" in home


def test_logged_in_user_sees_logout(site_pages, client, django_user_model):
    user = django_user_model.objects.create_user("operator1", password="x-secret-123")
    client.force_login(user)
    html = _text(client.get("/"))
    assert "operator1" in html and 'action="/accounts/logout/"' in html


def test_admin_lists_zones_and_only_service_agencies(site_pages, client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "x-secret-123")
    client.force_login(admin)
    ServiceAgencyFactory(name="中关村知识产权运营服务中心")
    ServiceAgencyFactory(name="某钛业有限公司", kind="enterprise")

    zones = client.get("/admin/zones/")
    assert zones.status_code == 200 and "中关村科技园区" in zones.content.decode()
    agencies = client.get("/admin/service-agencies/").content.decode()
    assert "中关村知识产权运营服务中心" in agencies and "某钛业有限公司" not in agencies
    for page in (site_pages.home, site_pages.zone_pages[0], site_pages.agency_directory):
        assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200
