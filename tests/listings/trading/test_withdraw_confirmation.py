"""Withdrawing a listing or a demand is final, so the first press asks and only a confirmed second press withdraws."""
from __future__ import annotations

import pytest

from listings.demands.models import Demand, DemandStatus
from listings.trading.models import Listing, ListingStatus

pytestmark = pytest.mark.django_db


def test_listing_withdraw_asks_first_then_withdraws(client, make_listing, publish, holder, outsider):
    listing = publish(make_listing(), owner=holder)
    client.force_login(outsider)
    assert client.post(f"/listings/{listing.pk}/withdraw/").status_code == 403

    client.force_login(holder)
    page = client.post(f"/listings/{listing.pk}/withdraw/", {"reason": "已线下成交"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="confirm-withdraw"' in html and 'name="confirm"' in html and 'value="已线下成交"' in html
    assert Listing.objects.get().status == ListingStatus.PUBLISHED  # nothing happened yet

    done = client.post(f"/listings/{listing.pk}/withdraw/", {"reason": "已线下成交", "confirm": "yes"})
    assert done.status_code == 302
    assert Listing.objects.get().status == ListingStatus.WITHDRAWN


def test_demand_withdraw_asks_first_then_withdraws(client, make_demand, publish_demand, demander, outsider):
    demand = publish_demand(make_demand(), owner=demander)
    client.force_login(outsider)
    assert client.post(f"/demands/{demand.pk}/withdraw/").status_code == 403

    client.force_login(demander)
    page = client.post(f"/demands/{demand.pk}/withdraw/")
    assert page.status_code == 200 and 'id="confirm-withdraw-button"' in page.content.decode()
    assert Demand.objects.get().status == DemandStatus.PUBLISHED

    client.post(f"/demands/{demand.pk}/withdraw/", {"confirm": "yes"})
    assert Demand.objects.get().status == DemandStatus.WITHDRAWN


def test_the_confirmation_speaks_english(client, make_listing, publish, holder):
    listing = publish(make_listing(), owner=holder)
    client.force_login(holder)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.post(f"/listings/{listing.pk}/withdraw/").content.decode()
    assert "Confirm withdrawal" in html and "cannot be undone" in html
