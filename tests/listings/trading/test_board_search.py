"""The listing and demand boards: keyword search (every word, in the listing's or its patents' text) and sorting;
a bad sort value is named, never a 500."""
from __future__ import annotations

import pytest

from marketplace.kernel.money import Money
from tests.factories import PatentFactory

pytestmark = pytest.mark.django_db


def test_listing_board_keyword_search_and_sorting(client, holder_org, holder, publish, make_listing):
    battery = PatentFactory(holders=[holder_org], title="一种锂离子电池正极材料", ipc=["H01M4/36"])
    optical = PatentFactory(holders=[holder_org], title="光纤耦合器", ipc=["G02B6/26"])
    # non-exclusive licences: several may be live on one patent (an assignment may not sit beside another listing)
    licence = {"deal_type": "licence", "licence_kind": "non_exclusive"}
    cheap = publish(make_listing(title="正极材料转让", patents=[battery], price=Money.parse("10000"), **licence), owner=holder)
    dear = publish(make_listing(title="光通信器件转让", patents=[optical], price=Money.parse("90000"), **licence), owner=holder)
    talk = publish(make_listing(title="电池与光纤组合包", description="面议", patents=[battery, optical], price=None,
                                **licence), owner=holder)

    def titles(**params):
        response = client.get("/listings/", params)
        assert response.status_code == 200
        return [listing.title for listing in response.context["page"].object_list]

    assert set(titles(q="转让")) == {cheap.title, dear.title}
    assert titles(q="面议") == [talk.title]  # the description counts
    assert set(titles(q="锂离子电池")) == {cheap.title, talk.title}  # a patent's title counts
    assert set(titles(q=battery.publication_number)) == {cheap.title, talk.title}
    assert titles(q="光纤 组合") == [talk.title]  # every word must occur
    assert titles(sort="price_asc") == [cheap.title, dear.title, talk.title]  # 面议 last
    assert titles(sort="price_desc") == [dear.title, cheap.title, talk.title]
    assert titles(sort="title") == sorted([cheap.title, dear.title, talk.title])
    bad = client.get("/listings/", {"sort": "cheapest"})
    assert bad.status_code == 200
    assert [e.param for e in bad.context["filters"].errors] == ["sort"]
    assert not bad.context["page"].object_list


def test_demand_board_keyword_search_and_sorting(client, make_demand, demander, publish_demand):
    late = publish_demand(make_demand(title="寻求光伏板自动清洗技术", problem="光伏组件表面积灰",
                                      budget_max=Money.parse("50000"), budget_min=None), owner=demander)
    soon = make_demand(title="电镀废水重金属去除", problem="镍铬超标", budget_max=Money.parse("800000"), budget_min=None)
    soon.deadline = late.deadline.replace(day=1) if late.deadline.day > 1 else late.deadline
    soon.save(update_fields=["deadline"])
    soon = publish_demand(soon, owner=demander)

    def titles(**params):
        response = client.get("/demands/", params)
        assert response.status_code == 200
        return [d.title for d, _ in response.context["page"].object_list]

    assert titles(q="积灰") == [late.title]  # the problem counts
    assert titles(q="电镀 镍铬") == [soon.title]
    assert titles(q="电镀 积灰") == []
    assert titles(sort="budget_desc") == [soon.title, late.title]
    assert titles(sort="deadline")[0] == soon.title
    assert [e.param for e in client.get("/demands/", {"sort": "x"}).context["filters"].errors] == ["sort"]
