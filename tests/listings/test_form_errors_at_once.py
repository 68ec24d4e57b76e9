"""One submit shows every error: a form's own field errors and the service's rules arrive together, not in rounds."""
from __future__ import annotations

import datetime as dt

import pytest

from listings.catalogue.models import LegalStatus
from listings.demands.models import Demand
from listings.trading.models import Listing
from tests.factories import PatentFactory

pytestmark = pytest.mark.django_db


def _fields_with_errors(response) -> set[str]:
    return {name for name, errors in response.context["form"].errors.items() if errors}


def test_an_all_wrong_listing_form_reports_every_field_at_once(client, holder, holder_org):
    client.force_login(holder)
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    response = client.post("/listings/new/", {
        "organisation": holder_org.pk, "title": "", "patent_numbers": "CN999999999B",
        "deal_type": "licence", "licence_kind": "",                   # a rule: a licence needs its kind
        "term_start": "2030-01-01", "term_end": "2029-01-01",         # a rule: the term ends before it starts
        "price": "3万", "royalty_rate": "abc", "expires_on": yesterday,  # field errors, then a rule
    })
    assert response.status_code == 200
    assert _fields_with_errors(response) == {
        "title", "patent_numbers", "licence_kind", "term_end", "price", "royalty_rate", "expires_on",
    }
    html = response.content.decode()
    for field in ("title", "patent_numbers", "licence_kind", "term_end", "price", "royalty_rate", "expires_on"):
        assert f'data-field="{field}"' in html
    assert not Listing.objects.exists()


def test_rule_errors_are_shown_with_resolved_patents(client, holder, holder_org):
    pending = PatentFactory(holders=[holder_org], legal_status=LegalStatus.PENDING)
    client.force_login(holder)
    response = client.post("/listings/new/", {
        "organisation": holder_org.pk, "title": "", "patent_numbers": pending.publication_number,
        "deal_type": "licence", "licence_kind": "exclusive", "price": "0",
    })
    errors = response.context["form"].errors
    assert set(errors) == {"title", "patent_numbers", "price"}
    assert pending.publication_number in errors["patent_numbers"][0]  # a rule on the patent, beside the field errors


def test_an_all_wrong_demand_form_reports_every_field_at_once(client, demander, demand_org):
    client.force_login(demander)
    response = client.post("/demands/new/", {
        "organisation": demand_org.pk, "title": "", "problem": "",
        "ipc_codes": "XYZ", "budget_min": "abc", "budget_max": "-5",
        "deadline": (dt.date.today() - dt.timedelta(days=3)).isoformat(), "visibility": "public",
    })
    assert response.status_code == 200
    assert _fields_with_errors(response) == {
        "title", "problem", "ipc_codes", "budget_min", "budget_max", "deal_types", "deadline",
    }
    assert not Demand.objects.exists()


def test_a_demand_rule_and_a_field_error_in_one_round(client, demander, demand_org):
    client.force_login(demander)
    response = client.post("/demands/new/", {
        "organisation": demand_org.pk, "title": "寻求钛合金表面处理技术", "problem": "耐磨性不足",
        "ipc_codes": "", "budget_min": "900000", "budget_max": "100000", "deal_types": ["assignment"],
        "deadline": "not a date", "visibility": "public",
    })
    errors = response.context["form"].errors
    assert set(errors) == {"ipc_codes", "budget_max", "deadline"}
    assert len(errors["deadline"]) == 1  # its own parse error, not a second "required" from the rules
