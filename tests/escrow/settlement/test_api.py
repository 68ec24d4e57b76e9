"""The escrow API for each identity: anonymous (401/403), another organisation (404), the buyer, the seller and an
operator — the escrow with its split and funding instructions, statements, the reconciliation, and the actions
(funding instructions, release request with an evidence upload, milestone acceptance, dispute) through the services."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from escrow.gateways.models import RailInstruction
from escrow.ledger.models import LedgerTransaction
from escrow.settlement import services
from escrow.settlement.models import EscrowStatus, MilestoneStatus
from marketplace.kernel.money import Money

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def token_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def routes(escrow, org):
    deal = escrow.deal_id
    return [("get", f"/api/escrows/{deal}/", None), ("get", f"/api/escrows/{deal}/statement/", None),
            ("post", f"/api/escrows/{deal}/fund/", {"milestone": escrow.milestones.first().pk}),
            ("post", f"/api/escrows/{deal}/accept/", {"milestone": escrow.milestones.first().pk}),
            ("post", f"/api/escrows/{deal}/dispute/", {"reason": "x"}),
            ("post", f"/api/escrows/{deal}/request-release/", {"number": "1", "date": "2025-03-01"}),
            ("get", f"/api/escrow-statements/{org.pk}/", None)]


def test_anonymous_callers_and_other_organisations_see_nothing(escrow, demand_org, outsider):
    before = (LedgerTransaction.objects.count(), RailInstruction.objects.count(), escrow.status)
    for method, url, body in routes(escrow, demand_org):
        assert getattr(token_client(), method)(url, body, format="json").status_code in (401, 403), url
        assert getattr(token_client(outsider), method)(url, body, format="json").status_code == 404, url
    assert token_client().get("/api/escrow-reconciliation/").status_code in (401, 403)
    assert token_client(outsider).get("/api/escrow-reconciliation/").status_code == 403
    escrow.refresh_from_db()
    assert (LedgerTransaction.objects.count(), RailInstruction.objects.count(), escrow.status) == before
    assert token_client(outsider).get("/api/escrows/99999999999999999999999/").status_code == 404


def test_both_sides_see_the_split_in_fen_and_only_the_buyer_the_instructions(escrow, holder, demander):
    m1 = escrow.milestones.get(position=1)
    ins = services.milestone_funding_open(milestone=m1, by=demander, rail="bank")
    buyer = token_client(demander).get(f"/api/escrows/{escrow.deal_id}/").json()
    assert (buyer["status"], buyer["currency"], buyer["price"], buyer["fee"], buyer["fee_bps"]) == (
        "awaiting_funding", "CNY", 45_000_000, 675_000, 150)
    assert buyer["seller_receives"] == 44_325_000 and buyer["buyer_pays"] == 45_000_000 and buyer["your_side"] == "buyer"
    first = buyer["milestones"][0]
    assert first["funding_instructions"]["reference"] == ins.reference
    assert first["funding_instructions"]["amount"] == 15_000_000
    assert first["funding_instructions"]["pay_to"]["reference"] == ins.reference
    seller = token_client(holder).get(f"/api/escrows/{escrow.deal_id}/").json()
    assert seller["your_side"] == "seller" and seller["seller_receives"] == 44_325_000
    assert seller["milestones"][0]["funding_instructions"] is None


def test_actions_go_through_the_services_with_the_right_side(escrow, holder, demander, operator):
    deal = escrow.deal_id
    m1, m2 = escrow.milestones.order_by("position")
    # the seller cannot ask for funding instructions; the buyer can
    assert token_client(holder).post(f"/api/escrows/{deal}/fund/", {"milestone": m1.pk}, format="json").status_code == 403
    for m in (m1, m2):
        body = token_client(demander).post(f"/api/escrows/{deal}/fund/", {"milestone": m.pk, "rail": "bank"},
                                           format="json").json()
        services.bank_receipt_record(reference=body["reference"], amount=Money(body["amount"]), bank_txn_id=f"B{m.pk}",
                                     by=operator)
    services.milestone_deliver(milestone=m1, by=holder)
    # acceptance is the buyer's
    assert token_client(holder).post(f"/api/escrows/{deal}/accept/", {"milestone": m1.pk},
                                     format="json").status_code == 403
    accepted = token_client(demander).post(f"/api/escrows/{deal}/accept/", {"milestone": m1.pk}, format="json")
    assert accepted.status_code == 200
    assert accepted.json()["milestones"][0]["status"] == MilestoneStatus.RELEASED
    # release evidence: the buyer may not submit it; a forged file is refused naming the field; a PDF is accepted
    url = f"/api/escrows/{deal}/request-release/"
    evidence = {"number": "2025-0301-001", "date": "2025-03-01"}
    assert token_client(demander).post(url, {**evidence, "file": SimpleUploadedFile("n.pdf", PDF)},
                                       format="multipart").status_code == 403
    forged = token_client(holder).post(url, {**evidence, "file": SimpleUploadedFile("n.pdf", b"MZ\x90\x00not a pdf")},
                                       format="multipart")
    assert forged.status_code == 400 and "file" in forged.json()["errors"]
    missing = token_client(holder).post(url, evidence, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()["errors"]
    done = token_client(holder).post(url, {**evidence, "file": SimpleUploadedFile("n.pdf", PDF)}, format="multipart")
    assert done.status_code == 200 and done.json()["status"] == EscrowStatus.RELEASE_REQUESTED
    assert done.json()["evidence_number"] == "2025-0301-001"
    # a dispute needs a reason; then the escrow is frozen, and a second dispute is an illegal move
    assert token_client(demander).post(f"/api/escrows/{deal}/dispute/", {}, format="json").status_code == 400
    disputed = token_client(demander).post(f"/api/escrows/{deal}/dispute/", {"reason": "登记号不符"}, format="json")
    assert disputed.status_code == 200 and disputed.json()["status"] == EscrowStatus.DISPUTED
    again = token_client(holder).post(f"/api/escrows/{deal}/dispute/", {"reason": "again"}, format="json")
    assert again.status_code == 409


def test_statements_and_reconciliation(escrow, demander, holder, demand_org, holder_org, operator):
    m1 = escrow.milestones.get(position=1)
    ins = services.milestone_funding_open(milestone=m1, by=demander, rail="bank")
    services.bank_receipt_record(reference=ins.reference, amount=ins.amount, bank_txn_id="B1", by=operator)
    mine = token_client(demander).get(f"/api/escrow-statements/{demand_org.pk}/").json()
    assert mine["currency"] == "CNY" and mine["totals"]["paid_into_escrow"] == 15_000_000
    assert all(set(line) >= {"date", "transaction", "kind", "debit", "credit"} for line in mine["lines"])
    assert token_client(demander).get(f"/api/escrow-statements/{holder_org.pk}/").status_code == 404
    assert token_client(holder).get(f"/api/escrow-statements/{holder_org.pk}/").status_code == 200
    bad = token_client(demander).get(f"/api/escrow-statements/{demand_org.pk}/?currency=XXX")
    assert bad.status_code == 400 and "currency" in bad.json()["errors"]
    deal = token_client(holder).get(f"/api/escrows/{escrow.deal_id}/statement/").json()
    assert deal["totals"]["buyer_paid"] == 15_000_000 and deal["totals"]["held"] == 15_000_000
    assert token_client(demander).get("/api/escrow-reconciliation/").status_code == 403
    report = token_client(operator).get("/api/escrow-reconciliation/").json()
    assert report["agrees"] is True and report["differences"] == []
    assert token_client(operator).get(f"/api/escrows/{escrow.deal_id}/").json()["your_side"] is None


@pytest.mark.parametrize("path", ["/api/escrows/{deal}/", "/api/escrows/{deal}/fund/"])
def test_the_routes_are_in_the_openapi_schema(path):
    from drf_spectacular.generators import SchemaGenerator

    assert path in SchemaGenerator().get_schema(request=None, public=True)["paths"]
