"""listings.demands.services: posting, review lifecycle and every demand rule broken."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from listings.demands import services as svc
from listings.demands.models import Demand, DemandStatus, DemandTransition
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import IllegalTransition
from marketplace.models import Notification
from marketplace.services import NotPermitted
from tests.factories import IndustryFactory, ZoneFactory
from tests.listings.conftest import demand_kwargs
from tests.listings.trading.helpers import breaks, snapshot

pytestmark = pytest.mark.django_db


def test_post_review_publish(make_demand, demander, operator, publish_demand):
    demand = make_demand()
    assert demand.ipc_codes == ["H04W52/02", "H04W84/18"]
    assert demand.budget_low == Money(10_000_000) and demand.budget_high == Money(80_000_000)
    publish_demand(demand, owner=demander)
    assert demand.status == DemandStatus.PUBLISHED and demand.published_at
    assert list(demand.transitions.values_list("action", flat=True)) == ["create", "submit", "review_start", "approve"]
    assert Notification.objects.filter(recipient=demander, verb="demand.published").exists()
    assert Notification.objects.filter(recipient=operator, verb="demand.submitted").exists()


def test_publishing_and_editing_refresh_matches(make_demand, demander, publish_demand, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "listings.matching.services.demand_matches_refresh_on_commit", lambda *, demand: calls.append(demand.pk)
    )
    demand = make_demand()
    svc.demand_update(demand=demand, by=demander, title="草稿修改")
    assert calls == []  # drafts are not matched on edit here
    publish_demand(demand, owner=demander)
    assert calls == [demand.pk]
    svc.demand_update(demand=demand, by=demander, budget_max=Money.parse("900000"), reason="追加预算")
    assert calls == [demand.pk, demand.pk]
    edit = demand.transitions.last()
    assert (edit.action, edit.from_status, edit.to_status, edit.reason) == ("edit", "published", "published", "追加预算")


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"title": ""}, "title", "required"),
        ({"problem": "  "}, "problem", "required"),
        ({"ipc_codes": ["H04W 52/02", "XYZ"]}, "ipc_codes", "ipc_invalid"),
        ({"ipc_codes": []}, "ipc_codes", "field_required"),
        ({"budget_min": Money(-1)}, "budget_min", "budget_not_positive"),
        ({"budget_min": Money.parse("900000"), "budget_max": Money.parse("100000")}, "budget_max", "budget_range_inverted"),
        ({"budget_min": Money(100, "USD"), "budget_max": None}, "currency", "currency_not_cny"),
        ({"budget_max": 5000.0}, "budget_max", "budget_not_money"),
        ({"deal_types": []}, "deal_types", "deal_types_required"),
        ({"deal_types": ["barter"]}, "deal_types", "invalid_choice"),
        ({"deal_types": ["licence", "licence"]}, "deal_types", "deal_type_duplicated"),
        ({"deadline": dt.date(2020, 1, 1)}, "deadline", "deadline_in_past"),
        ({"deadline": None}, "deadline", "required"),
        ({"visibility": "secret"}, "visibility", "invalid_choice"),
    ],
)
def test_demand_rules(make_demand, overrides, field, rule):
    before = snapshot(Demand)
    with breaks(field, rule):
        make_demand(**overrides)
    assert snapshot(Demand) == before


def test_industry_alone_is_a_field(make_demand):
    industry = IndustryFactory(code="BIO", name_zh="生物医药")
    zone = ZoneFactory(code="CC", name_zh="长春")
    demand = make_demand(ipc_codes=[], industries=[industry], zones=[zone])
    assert list(demand.industries.all()) == [industry] and list(demand.zones.all()) == [zone]


def test_only_demand_roles_post(make_demand, holder, holder_org, outsider, demand_org):
    with pytest.raises(NotPermitted):
        make_demand(by=holder, organisation=holder_org)  # a holder is not a demand-side member
    with pytest.raises(NotPermitted):
        make_demand(by=outsider, organisation=demand_org)
    assert not Demand.objects.exists()


def test_unverified_organisation_cannot_submit(make_demand, demander, demand_org):
    demand = make_demand()
    demand_org.is_verified = False
    demand_org.save()
    with breaks("organisation", "organisation_not_verified"):
        svc.demand_submit(demand=demand, by=demander)
    assert Demand.objects.get().status == DemandStatus.DRAFT


def test_deadline_is_rechecked_at_approval(make_demand, demander, operator):
    demand = make_demand()
    svc.demand_submit(demand=demand, by=demander)
    svc.demand_review_start(demand=demand, by=operator)
    Demand.objects.filter(pk=demand.pk).update(deadline=timezone.localdate())
    with breaks("deadline", "deadline_in_past"):
        svc.demand_approve(demand=demand, by=operator)
    assert Demand.objects.get().status == DemandStatus.IN_REVIEW


def test_only_operators_review_and_reject_needs_reason(make_demand, demander, operator, outsider):
    demand = make_demand()
    svc.demand_submit(demand=demand, by=demander)
    for user in (demander, outsider):
        with pytest.raises(NotPermitted):
            svc.demand_review_start(demand=demand, by=user)
    svc.demand_review_start(demand=demand, by=operator)
    with breaks("reason", "reason_required"):
        svc.demand_reject(demand=demand, by=operator, reason="")
    svc.demand_reject(demand=demand, by=operator, reason="问题描述不清")
    assert Notification.objects.get(recipient=demander, verb="demand.rejected").body == "问题描述不清"
    svc.demand_update(demand=demand, by=demander, problem="节点功耗需降至 10 μA 以下")
    svc.demand_submit(demand=demand, by=demander)
    assert demand.status == DemandStatus.SUBMITTED


def test_edit_refused_outside_editable_states(make_demand, demander, outsider):
    demand = make_demand()
    with pytest.raises(NotPermitted):
        svc.demand_update(demand=demand, by=outsider, title="篡改")
    svc.demand_submit(demand=demand, by=demander)
    with pytest.raises(IllegalTransition):
        svc.demand_update(demand=demand, by=demander, title="审核中修改")
    assert Demand.objects.get().title == demand_kwargs()["title"]


def test_close_suspend_reinstate_expire(make_demand, demander, operator, publish_demand, today):
    demand = publish_demand(make_demand(), owner=demander)
    with breaks("reason", "reason_required"):
        svc.demand_suspend(demand=demand, by=operator, reason="")
    svc.demand_suspend(demand=demand, by=operator, reason="涉嫌虚假需求")
    with pytest.raises(NotPermitted):
        svc.demand_reinstate(demand=demand, by=demander, reason="申诉")
    svc.demand_reinstate(demand=demand, by=operator, reason="已核实")
    assert svc.demands_expire_due(today=demand.deadline) == []
    assert svc.demands_expire_due(today=demand.deadline + dt.timedelta(days=1)) == [demand.pk]
    demand.refresh_from_db()
    assert demand.status == DemandStatus.EXPIRED
    with pytest.raises(IllegalTransition):
        svc.demand_close(demand=demand, by=demander)
    assert DemandTransition.objects.filter(demand=demand, action="expire", by=None).exists()
