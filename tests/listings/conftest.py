"""Fixtures of the trading suite: a verified holder firm with a patent it owns, a demand-side firm,
an operator, and helpers that walk a listing or demand to a given state through the services."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from listings.demands import services as demand_services
from listings.trading.models import DealType
from listings.trading.services import editing
from listings.trading.services import lifecycle as listing_services
from marketplace.kernel.money import Money
from marketplace.models import Membership
from tests.factories import MembershipFactory, OperatorFactory, OrganisationFactory, PatentFactory, UserFactory


@pytest.fixture
def holder_org(db):
    return OrganisationFactory(name="苏州纳微新材料有限公司")


@pytest.fixture
def holder(holder_org):
    return MembershipFactory(organisation=holder_org, role=Membership.Role.HOLDER, user__username="holder").user


@pytest.fixture
def demand_org(db):
    return OrganisationFactory(name="杭州物联感知科技有限公司")


@pytest.fixture
def demander(demand_org):
    return MembershipFactory(organisation=demand_org, role=Membership.Role.DEMAND, user__username="demander").user


@pytest.fixture
def other_org(db):
    return OrganisationFactory(name="武汉光谷光通信有限公司")


@pytest.fixture
def outsider(other_org):
    """A member of another organisation, in every role that could tempt a permission check."""
    user = UserFactory(username="outsider")
    for role in (Membership.Role.HOLDER, Membership.Role.DEMAND, Membership.Role.BROKER):
        MembershipFactory(organisation=other_org, user=user, role=role)
    return user


@pytest.fixture
def operator(db):
    return OperatorFactory(username="operator")


@pytest.fixture
def patent(holder_org):
    return PatentFactory(holders=[holder_org], ipc=["B82Y30/00", "H01B5/14"])


@pytest.fixture
def today():
    return timezone.localdate()


def listing_kwargs(**overrides):
    values = dict(
        title="纳米银线透明导电膜专利转让",
        description="适用于柔性显示与触控面板。",
        deal_type=DealType.ASSIGNMENT,
        price=Money.parse("500000.00"),
    )
    values.update(overrides)
    return values


@pytest.fixture
def make_listing(holder, holder_org, patent):
    def make(*, patents=None, organisation=None, by=None, **overrides):
        return editing.listing_create(
            organisation=organisation or holder_org, by=by or holder, patents=patents or [patent],
            **listing_kwargs(**overrides),
        )

    return make


@pytest.fixture
def publish(operator):
    """Walk a draft listing through submit → review → approve."""

    def walk(listing, *, owner):
        listing_services.listing_submit(listing=listing, by=owner)
        listing_services.listing_review_start(listing=listing, by=operator)
        return listing_services.listing_approve(listing=listing, by=operator, reason="材料齐全")

    return walk


def demand_kwargs(**overrides):
    values = dict(
        title="寻求低功耗无线传感网络节点技术",
        problem="现有节点功耗高，电池寿命不足一年，需要低功耗组网方案。",
        ipc_codes=["H04W 52/02", "H04W84/18"],
        deal_types=[DealType.ASSIGNMENT, DealType.LICENCE],
        deadline=timezone.localdate() + dt.timedelta(days=90),
        budget_min=Money.parse("100000"),
        budget_max=Money.parse("800000"),
    )
    values.update(overrides)
    return values


@pytest.fixture
def make_demand(demander, demand_org):
    def make(*, organisation=None, by=None, **overrides):
        return demand_services.demand_create(
            organisation=organisation or demand_org, by=by or demander, **demand_kwargs(**overrides)
        )

    return make


@pytest.fixture
def publish_demand(operator):
    def walk(demand, *, owner):
        demand_services.demand_submit(demand=demand, by=owner)
        demand_services.demand_review_start(demand=demand, by=operator)
        return demand_services.demand_approve(demand=demand, by=operator)

    return walk
