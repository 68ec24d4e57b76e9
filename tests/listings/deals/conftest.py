"""Fixtures of the deals suite: a published listing, a verified buyer, and helpers that walk a deal forward."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from listings.deals.services import lifecycle, offers
from listings.trading.models import DealType
from marketplace.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory


@pytest.fixture
def listing(make_listing, publish, holder):
    return publish(make_listing(), owner=holder)


@pytest.fixture
def licence_listing(make_listing, publish, holder):
    return publish(make_listing(deal_type=DealType.LICENCE, licence_kind="non_exclusive", title="普通许可"), owner=holder)


@pytest.fixture
def second_buyer(db):
    org = OrganisationFactory(name="郑州超硬材料有限公司")
    return MembershipFactory(organisation=org, role=Membership.Role.DEMAND, user__username="buyer2").user, org


def terms(**overrides):
    values = dict(deal_type="assignment", price_amount=45_000_000, licence_kind="", territory="", field_of_use="",
                  term_start=None, term_end=None, royalty_bps=None,
                  milestones=[{"label": "签约", "amount": 15_000_000, "due": ""},
                              {"label": "登记完成", "amount": 30_000_000, "due": ""}],
                  expires_at=timezone.now() + dt.timedelta(days=7))
    values.update(overrides)
    return values


@pytest.fixture
def started(listing, demander, demand_org, holder):
    """A deal on ``listing`` opened by the buyer and accepted by the holder (negotiating)."""
    deal = lifecycle.deal_open_from_listing(listing=listing, by=demander, buyer=demand_org, deal_type="assignment",
                                            price_amount=40_000_000, message="希望了解授权情况")
    return lifecycle.deal_accept(deal=deal, by=holder)


@pytest.fixture
def agreed(started, holder, demander):
    offer = offers.offer_make(deal=started, by=holder, terms=terms())
    offers.offer_accept(offer=offer, by=demander)
    started.refresh_from_db()
    return started


@pytest.fixture(autouse=True)
def _room_connections_closed():
    """The room's database threads keep their connections (listings/deals/roomdb.py): closed after each test,
    before the test database may be flushed or dropped."""
    yield
    from listings.deals import roomdb

    roomdb.close_connections()
