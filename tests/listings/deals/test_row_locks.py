"""Row locks (Postgres only): many buyers accept competing offers on one exclusive listing at once; exactly one
deal reaches agreed terms, the others are paused or refused by name, and nothing half-written remains."""
from __future__ import annotations

import threading

import pytest
from django.db import connections

from listings.deals.models import Deal, DealOffer, DealStatus, DealTransition, OfferStatus
from listings.deals.services import lifecycle, offers
from listings.trading.models import Listing, ListingStatus
from marketplace.kernel.errors import DomainError
from marketplace.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory
from tests.listings.deals.conftest import terms

pytestmark = pytest.mark.django_db(transaction=True)

BUYERS = 8


def test_concurrent_acceptances_on_an_exclusive_listing_one_wins(postgres_only, listing, holder):
    contenders = []
    for i in range(BUYERS):
        org = OrganisationFactory(name=f"竞买机构{i}有限公司")
        buyer = MembershipFactory(organisation=org, role=Membership.Role.DEMAND, user__username=f"racer{i}").user
        deal = lifecycle.deal_open_from_listing(listing=listing, by=buyer, buyer=org, deal_type="assignment")
        deal = lifecycle.deal_accept(deal=deal, by=holder)
        contenders.append((buyer, offers.offer_make(deal=deal, by=holder, terms=terms())))
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.UNDER_NEGOTIATION

    start = threading.Barrier(BUYERS)
    outcomes: dict[int, object] = {}

    def accept(buyer, offer):
        try:
            start.wait(timeout=30)
            outcomes[offer.pk] = offers.offer_accept(offer=DealOffer(pk=offer.pk, deal_id=offer.deal_id), by=buyer).status
        except Exception as exc:  # noqa: BLE001 - recorded for the assertions
            outcomes[offer.pk] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=c) for c in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    winners = [pk for pk, result in outcomes.items() if result == OfferStatus.ACCEPTED]
    assert len(outcomes) == BUYERS and len(winners) == 1, outcomes
    losers = [result for pk, result in outcomes.items() if pk not in winners]
    # every loser is refused by the domain (no deadlock, no database error): paused or reserved
    assert all(isinstance(r, DomainError) for r in losers), losers
    codes = {code for r in losers for _field, code, _message in r.violations}
    assert codes and codes <= {"listing_reserved", "illegal_transition"}, codes

    winner = DealOffer.objects.get(pk=winners[0]).deal
    assert winner.status == DealStatus.IP_REVIEW and winner.agreed_offer_id == winners[0]
    others = Deal.objects.filter(listing=listing).exclude(pk=winner.pk)
    assert set(others.values_list("status", flat=True)) == {DealStatus.PAUSED}
    assert not others.exclude(agreed_offer=None).exists()
    assert DealOffer.objects.filter(status=OfferStatus.ACCEPTED).count() == 1
    assert DealTransition.objects.filter(action="agree").count() == 1
