"""Editing a published demand (issue 8, item 7): a content edit takes it off the public pages and back to review;
only budget and deadline change directly."""
from __future__ import annotations

import datetime as dt

import pytest

from listings.demands import services as svc
from listings.demands.models import DemandStatus, DemandTransition, Visibility
from marketplace.kernel.money import Money
from tests.factories import IndustryFactory, ZoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(make_demand, demander, publish_demand):
    return publish_demand(make_demand(), owner=demander)


@pytest.mark.parametrize(
    "change",
    [
        {"title": "限时特价 请访问 http://example.com"},
        {"problem": "广告：访问 http://example.com 购买"},
        {"ipc_codes": ["A61K"]},
        {"deal_types": ["assignment"]},
        {"visibility": Visibility.ANONYMOUS},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_content_edit_sends_a_published_demand_back_to_review(published, demander, change):
    demand = svc.demand_update(demand=published, by=demander, **change)

    assert demand.status == DemandStatus.SUBMITTED and not demand.is_public
    actions = list(DemandTransition.objects.filter(demand=demand).order_by("pk").values_list("action", "to_status"))
    assert actions[-2:] == [("edit", DemandStatus.PUBLISHED), ("resubmit", DemandStatus.SUBMITTED)]


@pytest.mark.parametrize("relation", ["industries", "zones"])
def test_changing_industries_or_zones_is_a_content_edit(published, demander, relation):
    factory = IndustryFactory if relation == "industries" else ZoneFactory
    demand = svc.demand_update(demand=published, by=demander, **{relation: [factory()]})
    assert demand.status == DemandStatus.SUBMITTED


def test_budget_and_deadline_change_directly(published, demander):
    deadline = published.deadline + dt.timedelta(days=30)
    demand = svc.demand_update(
        demand=published, by=demander, budget_min=Money.parse("200000"), budget_max=Money.parse("900000"), deadline=deadline,
    )
    assert demand.status == DemandStatus.PUBLISHED
    assert (demand.budget_min, demand.budget_max, demand.deadline) == (20_000_000, 90_000_000, deadline)


def test_the_edit_page_says_the_demand_went_back_to_review(client, published, demander, operator):
    from tests.listings.form_roundtrip import form_values

    client.force_login(demander)
    values = form_values(client.get(f"/demands/{published.pk}/edit/").content.decode(), "demand-form")
    values["title"] = ["改写后的标题"]
    page = client.post(f"/demands/{published.pk}/edit/", values, follow=True).content.decode()
    assert "重新提交审核" in page
    published.refresh_from_db()
    assert published.status == DemandStatus.SUBMITTED
    svc.demand_review_start(demand=published, by=operator)
    assert svc.demand_approve(demand=published, by=operator).status == DemandStatus.PUBLISHED
