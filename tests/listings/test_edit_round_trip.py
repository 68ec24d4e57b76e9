"""The edit forms round-trip every field in both languages (issue 8, item 8): saving an edit page unchanged changes
nothing — the listing keeps its validity date (有效期至) and licence term, the demand its deadline and budget."""
from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from listings.catalogue.models import LicenceKind
from listings.demands.models import Demand
from listings.trading.models import DealType, Listing
from marketplace.kernel.money import Money
from tests.factories import IndustryFactory, ZoneFactory

from .form_roundtrip import form_values

pytestmark = pytest.mark.django_db

LANGUAGES = ["zh-hans", "en"]


def _snapshot(model, pk, exclude=("updated_at",)):
    row = model.objects.filter(pk=pk).values().get()
    return {k: v for k, v in row.items() if k not in exclude}


@pytest.mark.parametrize("language", LANGUAGES)
def test_saving_a_listing_edit_page_unchanged_changes_nothing(client, make_listing, holder, language):
    today = timezone.localdate()
    listing = make_listing(
        deal_type=DealType.LICENCE, licence_kind=LicenceKind.NON_EXCLUSIVE, territory="中国大陆", field_of_use="触控面板",
        term_start=today + dt.timedelta(days=10), term_end=today + dt.timedelta(days=400), sublicensing_allowed=True,
        price=Money.parse("12345.67"), royalty_rate_bps=350, expires_on=today + dt.timedelta(days=200),
    )
    before = _snapshot(Listing, listing.pk)
    client.force_login(holder)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(f"/listings/{listing.pk}/edit/").content.decode()
    values = form_values(page, "listing-form")
    assert values["expires_on"] == [(today + dt.timedelta(days=200)).isoformat()]

    response = client.post(f"/listings/{listing.pk}/edit/", values)

    assert response.status_code == 302, response.context["form"].errors
    assert _snapshot(Listing, listing.pk) == before
    assert Listing.objects.get(pk=listing.pk).expires_on == today + dt.timedelta(days=200)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("published", [False, True])
def test_saving_a_demand_edit_page_unchanged_changes_nothing(
    client, make_demand, demander, publish_demand, language, published
):
    industry, zone = IndustryFactory(), ZoneFactory()
    demand = make_demand(industries=[industry], zones=[zone], budget_min=Money.parse("1000.50"))
    if published:
        demand = publish_demand(demand, owner=demander)
    before = _snapshot(Demand, demand.pk)
    client.force_login(demander)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(f"/demands/{demand.pk}/edit/").content.decode()
    values = form_values(page, "demand-form")
    assert values["deadline"] == [demand.deadline.isoformat()]

    response = client.post(f"/demands/{demand.pk}/edit/", values)

    assert response.status_code == 302, response.context["form"].errors
    assert _snapshot(Demand, demand.pk) == before  # still published when nothing changed
    assert list(Demand.objects.get(pk=demand.pk).industries.all()) == [industry]
    assert list(Demand.objects.get(pk=demand.pk).zones.all()) == [zone]
