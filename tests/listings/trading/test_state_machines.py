"""The declared lifecycles: every move outside the table is refused with IllegalTransition and writes
nothing; random sequences of moves (hypothesis) always agree with the table and leave an audit row per move."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listings.demands import services as demand_svc
from listings.demands.models import Demand, DemandStatus, DemandTransition
from listings.trading.models import Listing, ListingStatus, ListingTransition
from listings.trading.services import lifecycle as listing_svc
from marketplace.kernel.statemachine import IllegalTransition
from tests.factories import PatentFactory

pytestmark = pytest.mark.django_db

HYPOTHESIS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.fixture
def listing_moves(holder, operator, demand_org):
    """action → a call that takes it with a permitted actor and valid arguments."""
    return {
        "submit": lambda obj: listing_svc.listing_submit(listing=obj, by=holder),
        "review_start": lambda obj: listing_svc.listing_review_start(listing=obj, by=operator),
        "approve": lambda obj: listing_svc.listing_approve(listing=obj, by=operator),
        "reject": lambda obj: listing_svc.listing_reject(listing=obj, by=operator, reason="材料不全"),
        "withdraw": lambda obj: listing_svc.listing_withdraw(listing=obj, by=holder),
        "negotiation_open": lambda obj: listing_svc.listing_negotiation_open(listing=obj, by=holder, counterparty=demand_org),
        "negotiation_end": lambda obj: listing_svc.listing_negotiation_end(listing=obj, by=holder, reason="价格未谈拢"),
        "close": lambda obj: listing_svc.listing_close(listing=obj, by=holder, outcome="assigned", reason="合同签署"),
        "suspend": lambda obj: listing_svc.listing_suspend(listing=obj, by=operator, reason="核查中"),
        "reinstate": lambda obj: listing_svc.listing_reinstate(listing=obj, by=operator, reason="核查完毕"),
        "expire": lambda obj: listing_svc.listing_expire(listing=obj, by=None),
    }


def test_the_tables_cover_every_action(listing_moves):
    assert set(listing_moves) == set(listing_svc.LISTING_MACHINE.transitions)
    table = listing_svc.LISTING_MACHINE.table()
    assert table[ListingStatus.DRAFT] == {ListingStatus.SUBMITTED, ListingStatus.WITHDRAWN}
    assert table[ListingStatus.PUBLISHED] >= {ListingStatus.UNDER_NEGOTIATION, ListingStatus.SUSPENDED}
    for terminal in listing_svc.TERMINAL_STATUSES:
        assert terminal not in table


@pytest.mark.parametrize("status", ListingStatus.values)
def test_every_illegal_listing_move_is_refused(make_listing, listing_moves, status):
    listing = make_listing()
    Listing.objects.filter(pk=listing.pk).update(status=status)
    allowed = set(listing_svc.LISTING_MACHINE.allowed_actions(status))
    for action, move in listing_moves.items():
        if action in allowed:
            continue
        rows = ListingTransition.objects.count()
        with pytest.raises(IllegalTransition) as info:
            move(Listing.objects.get(pk=listing.pk))
        assert info.value.action == action and info.value.current == status
        assert Listing.objects.get(pk=listing.pk).status == status
        assert ListingTransition.objects.count() == rows


@HYPOTHESIS
@given(actions=st.lists(st.sampled_from(sorted(listing_svc.LISTING_MACHINE.transitions)), max_size=12))
def test_random_listing_sequences_follow_the_table(make_listing, listing_moves, holder_org, actions):
    # a patent of its own per example: examples share the database, and an assignment stands alone on its patent
    listing = make_listing(patents=[PatentFactory(holders=[holder_org])])
    expected = ListingStatus.DRAFT
    moves = 0
    for action in actions:
        transition = listing_svc.LISTING_MACHINE[action]
        if expected in transition.sources:
            listing_moves[action](listing)
            expected = transition.target
            moves += 1
        else:
            with pytest.raises(IllegalTransition):
                listing_moves[action](listing)
        listing.refresh_from_db()
        assert listing.status == expected
        assert listing.is_public == (expected in (ListingStatus.PUBLISHED, ListingStatus.UNDER_NEGOTIATION))
    trail = list(listing.transitions.exclude(action="create"))
    assert len(trail) == moves
    if trail:
        assert trail[-1].to_status == expected
        assert all(a.to_status == b.from_status for a, b in zip(trail, trail[1:]))


@pytest.fixture
def demand_moves(demander, operator):
    return {
        "submit": lambda d: demand_svc.demand_submit(demand=d, by=demander),
        "review_start": lambda d: demand_svc.demand_review_start(demand=d, by=operator),
        "approve": lambda d: demand_svc.demand_approve(demand=d, by=operator),
        "reject": lambda d: demand_svc.demand_reject(demand=d, by=operator, reason="描述不清"),
        "withdraw": lambda d: demand_svc.demand_withdraw(demand=d, by=demander),
        "close": lambda d: demand_svc.demand_close(demand=d, by=demander),
        "resubmit": lambda d: demand_svc.demand_resubmit(demand=d, by=demander),
        "suspend": lambda d: demand_svc.demand_suspend(demand=d, by=operator, reason="核查"),
        "reinstate": lambda d: demand_svc.demand_reinstate(demand=d, by=operator, reason="核查完毕"),
        "expire": lambda d: demand_svc.demand_expire(demand=d, by=None),
    }


@pytest.mark.parametrize("status", DemandStatus.values)
def test_every_illegal_demand_move_is_refused(make_demand, demand_moves, status):
    assert set(demand_moves) == set(demand_svc.DEMAND_MACHINE.transitions)
    demand = make_demand()
    Demand.objects.filter(pk=demand.pk).update(status=status)
    allowed = set(demand_svc.DEMAND_MACHINE.allowed_actions(status))
    for action, move in demand_moves.items():
        if action in allowed:
            continue
        rows = DemandTransition.objects.count()
        with pytest.raises(IllegalTransition):
            move(Demand.objects.get(pk=demand.pk))
        assert Demand.objects.get(pk=demand.pk).status == status
        assert DemandTransition.objects.count() == rows


@HYPOTHESIS
@given(actions=st.lists(st.sampled_from(sorted(demand_svc.DEMAND_MACHINE.transitions)), max_size=10))
def test_random_demand_sequences_follow_the_table(make_demand, demand_moves, actions):
    demand = make_demand()
    expected = DemandStatus.DRAFT
    for action in actions:
        transition = demand_svc.DEMAND_MACHINE[action]
        if expected in transition.sources:
            demand_moves[action](demand)
            expected = transition.target
        else:
            with pytest.raises(IllegalTransition):
                demand_moves[action](demand)
        demand.refresh_from_db()
        assert demand.status == expected
    last = demand.transitions.last()
    assert last.to_status == expected
