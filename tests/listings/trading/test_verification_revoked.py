"""Revoking an organisation's verification stops its trading (issue 8, item 9): its public listings and demands are
suspended with a recorded reason, and re-verifying it restores none of them."""
from __future__ import annotations

import pytest

from listings.demands.models import DemandStatus, DemandTransition
from listings.trading.models import ListingStatus, ListingTransition
from listings.trading.services import lifecycle as svc
from marketplace import services as parties
from marketplace.models import Membership, Organisation
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_revoking_verification_suspends_listings_and_demands_and_reverifying_restores_nothing(
    make_listing, holder, holder_org, publish, make_demand, publish_demand, operator
):
    demander = MembershipFactory(organisation=holder_org, role=Membership.Role.DEMAND).user
    listing = publish(make_listing(), owner=holder)
    demand = publish_demand(make_demand(organisation=holder_org, by=demander), owner=demander)

    parties.organisation_verification_revoke(organisation=holder_org, by=operator, reason="营业执照已吊销")

    listing.refresh_from_db()
    demand.refresh_from_db()
    assert listing.status == ListingStatus.SUSPENDED and not listing.is_public
    assert demand.status == DemandStatus.SUSPENDED
    row = ListingTransition.objects.filter(listing=listing, action="suspend").get()
    assert "营业执照已吊销" in row.reason and row.by == operator
    assert "营业执照已吊销" in DemandTransition.objects.get(demand=demand, action="suspend").reason

    parties.organisation_verify(organisation=Organisation.objects.get(pk=holder_org.pk), by=operator, reason="重新核验")
    listing.refresh_from_db()
    demand.refresh_from_db()
    assert (listing.status, demand.status) == (ListingStatus.SUSPENDED, DemandStatus.SUSPENDED)

    svc.listing_reinstate(listing=listing, by=operator, reason="已重新认证，核对无误")  # an operator's decision, each
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED


def test_a_refused_revocation_suspends_nothing(make_listing, holder, holder_org, publish, operator):
    listing = publish(make_listing(), owner=holder)
    with pytest.raises(Exception, match="reason"):
        parties.organisation_verification_revoke(organisation=holder_org, by=operator, reason=" ")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED
