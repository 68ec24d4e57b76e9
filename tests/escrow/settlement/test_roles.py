"""Escrow actions need the role of the side: a lender (finance) member of the buyer's or the seller's organisation
follows the escrow (its page, its amounts, the organisation's statement) but never funds, delivers, accepts,
requests release or disputes — refused by the services, the API (403 before the body) and the page (403)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from escrow.gateways.models import RailInstruction
from escrow.ledger.models import LedgerTransaction
from escrow.settlement import services
from escrow.settlement.models import Escrow
from listings.deals import access
from marketplace.kernel.errors import NotPermitted
from marketplace.models import Membership
from tests.factories import MembershipFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def buyer_lender(demand_org):
    return MembershipFactory(organisation=demand_org, role=Membership.Role.LENDER, user__username="buyer-finance").user


@pytest.fixture
def seller_lender(holder_org):
    return MembershipFactory(organisation=holder_org, role=Membership.Role.LENDER, user__username="seller-finance").user


@pytest.fixture
def funded(escrow, demander, operator):
    """Both milestones paid in by bank transfer (the escrow holds the money)."""
    for m in escrow.milestones.order_by("position"):
        ins = services.milestone_funding_open(milestone=m, by=demander, rail="bank")
        services.bank_receipt_record(reference=ins.reference, amount=ins.amount, bank_txn_id=f"B{m.pk}", by=operator)
    escrow.refresh_from_db()
    return escrow


def _state(escrow: Escrow) -> tuple:
    escrow.refresh_from_db()
    return (escrow.status, list(escrow.milestones.order_by("position").values_list("status", "funding_reference")),
            LedgerTransaction.objects.count(), RailInstruction.objects.count(), escrow.evidence_number)


def _evidence():
    return SimpleUploadedFile("登记通知书.pdf", PDF, content_type="application/pdf")


def test_the_services_refuse_funding_to_the_buyers_finance_member(escrow, buyer_lender):
    before = _state(escrow)
    with pytest.raises(NotPermitted):
        services.milestone_funding_open(milestone=escrow.milestones.get(position=1), by=buyer_lender, rail="bank")
    assert _state(escrow) == before


def test_the_services_refuse_every_held_money_action_to_finance_members(funded, holder, seller_lender, buyer_lender):
    m1 = funded.milestones.get(position=1)
    before = _state(funded)
    refused = [
        lambda: services.milestone_deliver(milestone=m1, by=seller_lender),
        lambda: services.escrow_release_request(escrow=funded, by=seller_lender, number="ZL-2025-001",
                                                date=dt.date(2025, 3, 1), file=_evidence()),
        lambda: services.escrow_dispute(escrow=funded, by=seller_lender, reason="对方违约"),
        lambda: services.escrow_dispute(escrow=funded, by=buyer_lender, reason="对方违约"),
    ]
    for act in refused:
        with pytest.raises(NotPermitted):
            act()
        assert _state(funded) == before
    services.milestone_deliver(milestone=m1, by=holder)  # the holder, in the seller's role, may
    with pytest.raises(NotPermitted):
        services.milestone_accept(milestone=m1, by=buyer_lender)
    m1.refresh_from_db()
    assert m1.status == "delivered"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_lets_finance_members_read_and_refuses_their_actions(funded, seller_lender, buyer_lender, demand_org):
    deal, m1 = funded.deal_id, funded.milestones.get(position=1)
    before = _state(funded)
    for user in (seller_lender, buyer_lender):
        client = _client(user)
        assert client.get(f"/api/escrows/{deal}/").json()["your_side"] is None
        assert client.get(f"/api/escrows/{deal}/statement/").status_code == 200
        for url, body in ((f"/api/escrows/{deal}/fund/", {"milestone": m1.pk, "rail": "bank"}),
                          (f"/api/escrows/{deal}/accept/", {"milestone": m1.pk}),
                          (f"/api/escrows/{deal}/dispute/", {"reason": "对方违约"})):
            response = client.post(url, body, format="json")
            assert response.status_code == 403 and "read_only_role" in response.content.decode(), url
        release = client.post(f"/api/escrows/{deal}/request-release/",
                              {"number": "ZL-2025-001", "date": "2025-03-01", "file": _evidence()}, format="multipart")
        assert release.status_code == 403
    # the funding instructions are the buyer's acting members' alone
    assert _client(buyer_lender).get(f"/api/escrows/{deal}/").json()["milestones"][0]["funding_instructions"] is None
    assert _client(buyer_lender).get(f"/api/escrow-statements/{demand_org.pk}/").status_code == 200
    assert _state(funded) == before


def test_the_page_shows_the_escrow_to_finance_members_and_refuses_their_actions(client, funded, seller_lender,
                                                                                buyer_lender):
    m1 = funded.milestones.get(position=1)
    before = _state(funded)
    for user in (seller_lender, buyer_lender):
        client.force_login(user)
        assert client.get(reverse("settlement:escrow", args=[funded.deal_id])).status_code == 200
        for action, body in (("fund", {"milestone": m1.pk, "rail": "bank"}), ("deliver", {"milestone": m1.pk}),
                             ("accept", {"milestone": m1.pk}), ("dispute", {"reason": "对方违约"}),
                             ("request_release", {"number": "ZL-2025-001", "date": "2025-03-01", "file": _evidence()})):
            response = client.post(reverse("settlement:escrow-action", args=[funded.deal_id, action]), body)
            assert response.status_code == 403, action
    assert _state(funded) == before
    assert access.is_read_only(buyer_lender, funded.deal) and not access.is_read_only(None, funded.deal)

