"""The escrow sections of the operator console: receipts to match, evidence to check, disputes to resolve, payouts
to confirm — each counted, linked to the escrow, on the review page and in /api/review-queue/; operators only."""
from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from escrow.settlement import services
from marketplace import console
from marketplace.kernel.money import Money

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SECTIONS = ("escrow_receipts", "escrow_evidence", "escrow_disputes", "escrow_payouts")


def counts():
    queue = console.review_queue()
    return {key: len(queue[key]) for key in SECTIONS}


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client.get("/api/review-queue/")


def test_each_escrow_step_that_waits_for_an_operator_is_queued(client, single_escrow, demander, holder, operator):
    escrow = single_escrow
    assert counts() == dict.fromkeys(SECTIONS, 0)
    m = escrow.milestones.get()
    ins = services.milestone_funding_open(milestone=m, by=demander, rail="bank")
    assert counts() == {"escrow_receipts": 1, "escrow_evidence": 0, "escrow_disputes": 0, "escrow_payouts": 0}
    row = api(operator).json()["escrow_receipts"][0]
    assert (row["reference"], row["amount"], row["currency"], row["deal"]) == (ins.reference, 45_000_000, "CNY",
                                                                               escrow.deal_id)
    assert row["url"] == reverse("settlement:escrow", args=[escrow.deal_id])
    assert row["action_url"] == reverse("settlement:operator")

    services.bank_receipt_record(reference=ins.reference, amount=Money(45_000_000), bank_txn_id="B1", by=operator)
    services.escrow_release_request(escrow=escrow, by=holder, number="2025-0301-001", date=dt.date(2025, 3, 1),
                                    file=SimpleUploadedFile("notice.pdf", PDF))
    assert counts() == {"escrow_receipts": 0, "escrow_evidence": 1, "escrow_disputes": 0, "escrow_payouts": 0}
    assert api(operator).json()["escrow_evidence"][0]["evidence_number"] == "2025-0301-001"

    services.escrow_dispute(escrow=escrow, by=demander, reason="登记号不符")
    assert counts() == {"escrow_receipts": 0, "escrow_evidence": 0, "escrow_disputes": 1, "escrow_payouts": 0}
    client.force_login(operator)
    page = client.get(reverse("marketplace:review-queue")).content.decode()
    assert 'id="queue-escrow_disputes" data-count="1"' in page
    assert reverse("settlement:escrow", args=[escrow.deal_id]) in page

    services.escrow_resolve(escrow=escrow, by=operator, reason="协商一致", seller_amount=Money(30_000_000))
    queued = counts()
    assert queued["escrow_disputes"] == 0 and queued["escrow_payouts"] == 2  # the seller's payout and the refund
    rows = api(operator).json()["escrow_payouts"]
    assert {r["kind"] for r in rows} == {"seller_payable", "refunds_payable"}
    assert console.review_queue().total >= 2


def test_only_operators_see_the_escrow_sections(client, single_escrow, demander):
    services.milestone_funding_open(milestone=single_escrow.milestones.get(), by=demander, rail="bank")
    assert api(demander).status_code == 403
    client.force_login(demander)
    assert client.get(reverse("marketplace:review-queue")).status_code in (302, 403, 404)
