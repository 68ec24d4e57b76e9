"""Creating a demand or a listing is idempotent per form (issue 8, item 12): the back button and a second save, or a
double click, submit the same one-time token and find the draft already made instead of making another."""
from __future__ import annotations

import pytest

from listings.demands.models import Demand
from listings.trading.models import Listing
from marketplace.models import Membership
from tests.factories import MembershipFactory

from .form_roundtrip import form_values

pytestmark = pytest.mark.django_db


def _fill_demand(values, demand_org):
    values.update({
        "organisation": [str(demand_org.pk)], "title": ["寻求低功耗组网方案"], "problem": ["节点功耗高"],
        "deal_types": ["assignment"], "deadline": ["2099-12-31"], "visibility": ["public"], "ipc_codes": ["H04W"],
    })
    return values


def test_saving_the_same_demand_form_twice_creates_one_draft(client, demander, demand_org):
    client.force_login(demander)
    values = _fill_demand(form_values(client.get("/demands/new/").content.decode(), "demand-form"), demand_org)
    assert values["submission_token"][0]

    first = client.post("/demands/new/", values)
    again = client.post("/demands/new/", values)  # back button, then save again

    demand = Demand.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == demand.get_absolute_url()

    fresh = _fill_demand(form_values(client.get("/demands/new/").content.decode(), "demand-form"), demand_org)
    assert fresh["submission_token"] != values["submission_token"]  # a new form is a new demand
    client.post("/demands/new/", fresh)
    assert Demand.objects.count() == 2


def test_saving_the_same_listing_form_twice_creates_one_draft(client, holder, holder_org, patent):
    client.force_login(holder)
    values = form_values(client.get("/listings/new/").content.decode(), "listing-form")
    values.update({
        "organisation": [str(holder_org.pk)], "title": ["纳米银线专利转让"], "patent_numbers": [patent.publication_number],
        "deal_type": ["assignment"], "price": ["500000"],
    })
    client.post("/listings/new/", values)
    client.post("/listings/new/", values)
    assert Listing.objects.count() == 1


def test_a_form_token_of_another_user_is_refused_not_shown(client, demander, demand_org):
    client.force_login(demander)
    values = _fill_demand(form_values(client.get("/demands/new/").content.decode(), "demand-form"), demand_org)
    client.post("/demands/new/", values)
    colleague = MembershipFactory(organisation=demand_org, role=Membership.Role.DEMAND).user
    client.force_login(colleague)
    response = client.post("/demands/new/", values)
    assert response.status_code == 200 and "此表单已提交过" in response.content.decode()
    assert Demand.objects.count() == 1
