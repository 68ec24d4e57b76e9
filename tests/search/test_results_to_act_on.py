"""Results people can act on: each hit carries its legal status and, when listed, the price or 面议; a "listed
only" filter in the page and the API; IPC fields suggested for a demand's text; bad input named."""
from __future__ import annotations

import pytest

from listings.catalogue.models import IpcEntry
from listings.trading.services import editing
from listings.trading.services import lifecycle as listing_services
from marketplace.kernel.money import Money
from marketplace.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory, PatentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/search/patents"


@pytest.fixture
def corpus(django_capture_on_commit_callbacks):
    organisation = OrganisationFactory(name="武汉光迅科技股份有限公司")
    holder = MembershipFactory(organisation=organisation, role=Membership.Role.HOLDER).user
    operator = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        priced = PatentFactory(title="一种光纤连接器", holders=[organisation], ipc=("G02B6/38",),
                               abstract="光纤连接器包括插芯与套筒。")
        talk = PatentFactory(title="光纤熔接机的对准装置", holders=[organisation], ipc=("G02B6/255",))
        plain = PatentFactory(title="光纤传感器的解调装置", ipc=("G01D5/353",), legal_status="pending")

    def publish(patent, price):
        listing = editing.listing_create(
            organisation=organisation, by=holder, patents=[patent], title=f"{patent.title}转让",
            description="整体转让", deal_type="assignment", price=price,
        )
        listing_services.listing_submit(listing=listing, by=holder)
        listing_services.listing_review_start(listing=listing, by=operator)
        return listing_services.listing_approve(listing=listing, by=operator, reason="材料齐全")

    with django_capture_on_commit_callbacks(execute=True):
        publish(priced, Money.parse("250000"))
        publish(talk, None)
    return priced, talk, plain


def test_hits_carry_status_listing_price_or_negotiable(client, corpus):
    priced, talk, plain = corpus
    hits = {hit["id"]: hit for hit in client.get(URL, {"q": "光纤"}).json()["hits"]}
    assert hits[priced.id]["listed"] is True and hits[priced.id]["price"] == {"amount": 25_000_000, "currency": "CNY"}
    assert hits[talk.id]["listed"] is True and hits[talk.id]["price"] is None and hits[talk.id]["negotiable"] is True
    assert hits[plain.id]["listed"] is False and hits[plain.id]["negotiable"] is False
    assert hits[plain.id]["legal_status"] == "pending" and hits[plain.id]["legal_status_label"] == "审中"
    assert "<mark>光纤</mark>" in hits[priced.id]["highlights"]["title"]


def test_listed_only_filter_in_the_api_and_the_page(client, corpus):
    priced, talk, plain = corpus
    body = client.get(URL, {"q": "光纤", "listed": "true"}).json()
    assert {hit["id"] for hit in body["hits"]} == {priced.id, talk.id}
    assert body["total"] == 2
    bad = client.get(URL, {"q": "光纤", "listed": "yes"})
    assert bad.status_code == 400 and bad.json()["param"] == "listed"
    page = client.get("/search/", {"q": "光纤", "listed": "true"})
    html = page.content.decode()
    assert page.status_code == 200
    assert plain.title not in html and 'data-listed-only="true"' in html
    assert "¥250,000.00" in html and "面议" in html and "已挂牌" in html
    every = client.get("/search/", {"q": "光纤"}).content.decode()
    assert "审中" in every and 'data-listed-only="false"' in every


def test_patent_list_shows_the_offer_and_filters_listed_only(client, corpus):
    priced, talk, plain = corpus
    page = client.get("/patents/", {"listed": "true"})
    numbers = {p.publication_number for p in page.context["patents"]}
    assert numbers == {priced.publication_number, talk.publication_number}
    html = page.content.decode()
    assert "¥250,000.00" in html and "面议" in html
    assert plain.publication_number in {p.publication_number for p in client.get("/patents/").context["patents"]}


def test_field_suggestions_for_a_demand_text(client, settings, tmp_path):
    from search import classifier

    IpcEntry.objects.update_or_create(code="H02S", defaults={"level": "subclass", "title_zh": "光伏发电"})
    IpcEntry.objects.update_or_create(code="C02F", defaults={"level": "subclass", "title_zh": "水、废水、污水或污泥的处理"})
    texts = ["光伏板 自动 清洗 机器人", "光伏 组件 支架", "太阳能 光伏 发电", "废水 重金属 去除", "电镀 废水 处理", "污水 沉淀 处理"]
    labels = ["H02S", "H02S", "H02S", "C02F", "C02F", "C02F"]
    settings.FIELD_CLASSIFIER_PATH = classifier.save(classifier.train(texts, labels), tmp_path / "fc.joblib")

    body = client.get("/api/search/fields", {"text": "我们需要电镀废水的处理技术"}).json()
    assert body["suggestions"][0]["code"] == "C02F" and body["suggestions"][0]["title"] == "水、废水、污水或污泥的处理"
    assert client.get("/api/search/fields", {"text": ""}).json()["param"] == "text"
    assert client.get("/api/search/fields", {"text": "x" * 5001}).status_code == 400
    assert client.get("/api/search/fields", {"text": "光伏", "k": "9"}).json()["param"] == "k"

    demander = MembershipFactory(role=Membership.Role.DEMAND).user
    client.force_login(demander)
    form = client.post("/demands/new/", {"title": "光伏板自动清洗", "problem": "光伏组件积灰，需要自动清洗机器人"})
    html = form.content.decode()
    assert 'data-code="H02S"' in html and "光伏发电" in html
