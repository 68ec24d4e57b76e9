"""The Stripe path against the local fake API: PaymentIntents, signed webhooks (duplicate, out of order, forged,
stale), a Transfer to the seller with transfer_group, a refund through the Refund API; every call keyed."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from escrow.gateways.models import InstructionStatus, RailEvent, RailInstruction
from escrow.ledger.models import Entry, LedgerTransaction
from escrow.settlement import selectors, services
from escrow.settlement.models import EscrowStatus
from listings.deals.models import DealStatus
from listings.trading.models import ListingStatus
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import RuleBroken
from tests.escrow.fake_stripe import FakeStripe

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def post_event(client, fake: FakeStripe, event: dict, **sign):
    payload = json.dumps(event).encode()
    return client.post(reverse("settlement:stripe-webhook"), data=payload, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=fake.sign(payload, **sign))


def fund_by_stripe(client, fake, escrow, demander):
    for m in escrow.milestones.order_by("position"):
        ins = services.milestone_funding_open(milestone=m, by=demander, rail="stripe")
        response = post_event(client, fake, fake.event("payment_intent.succeeded", fake.succeeded(ins.pay_to["payment_intent"])))
        assert response.status_code == 200 and response.json()["outcome"] == "confirmed"
    escrow.refresh_from_db()


def test_payment_intents_carry_the_deal_the_methods_and_an_idempotency_key(client, fake_stripe, escrow, demander):
    m = escrow.milestones.get(position=1)
    ins = services.milestone_funding_open(milestone=m, by=demander, rail="stripe")
    [request] = fake_stripe.requests
    assert (request.method, request.path) == ("POST", "/v1/payment_intents")
    assert request.form["amount"] == "15000000" and request.form["currency"] == "cny"
    assert request.form["transfer_group"] == f"deal-{escrow.deal_id}"
    assert request.form["metadata[reference]"] == ins.reference
    assert [v for k, v in sorted(request.form.items()) if k.startswith("payment_method_types")] == ["card", "alipay", "wechat_pay"]
    assert request.idempotency_key == f"fund-{ins.reference}"
    assert request.authorization == "Bearer sk_test_fake"
    assert "capture_method" not in request.form  # not a card hold


def test_webhooks_forged_stale_replayed_and_out_of_order(client, fake_stripe, escrow, demander):
    m = escrow.milestones.get(position=1)
    ins = services.milestone_funding_open(milestone=m, by=demander, rail="stripe")
    intent = fake_stripe.succeeded(ins.pay_to["payment_intent"])
    event = fake_stripe.event("payment_intent.succeeded", intent)
    before = (LedgerTransaction.objects.count(), RailEvent.objects.count())
    forged = post_event(client, fake_stripe, event, secret="whsec_someone_else")
    assert forged.status_code == 400 and forged.json()["code"] == "bad_signature"
    stale = post_event(client, fake_stripe, event, timestamp=int(time.time()) - 3600)
    assert stale.status_code == 400 and stale.json()["code"] == "stale_signature"
    unsigned = client.post(reverse("settlement:stripe-webhook"), data=json.dumps(event), content_type="application/json")
    assert unsigned.status_code == 400
    assert (LedgerTransaction.objects.count(), RailEvent.objects.count()) == before

    wrong = dict(intent, amount_received=intent["amount"] - 1)
    mismatch = post_event(client, fake_stripe, fake_stripe.event("payment_intent.succeeded", wrong))
    assert mismatch.status_code == 400 and mismatch.json()["code"] == "amount_mismatch"
    assert (LedgerTransaction.objects.count(), RailEvent.objects.count()) == before

    assert post_event(client, fake_stripe, event).json()["outcome"] == "confirmed"
    after = (LedgerTransaction.objects.count(), Entry.objects.count())
    assert post_event(client, fake_stripe, event).json()["outcome"] == "duplicate"
    late_failure = fake_stripe.event("payment_intent.payment_failed", dict(intent, status="requires_payment_method"))
    assert post_event(client, fake_stripe, late_failure).json()["outcome"] == "ignored"
    second_success = fake_stripe.event("payment_intent.succeeded", intent)  # a new event id for the same payment
    assert post_event(client, fake_stripe, second_success).json()["outcome"] == "ignored"
    assert (LedgerTransaction.objects.count(), Entry.objects.count()) == after
    assert RailInstruction.objects.get(reference=ins.reference).status == InstructionStatus.CONFIRMED
    m.refresh_from_db()
    assert m.status == "funded"


def test_stripe_path_releases_by_transfer_with_the_deal_as_transfer_group(
        client, fake_stripe, escrow, demander, holder, operator, patent, demand_org, holder_org,
        django_capture_on_commit_callbacks):
    fund_by_stripe(client, fake_stripe, escrow, demander)
    assert escrow.status == EscrowStatus.FUNDED
    first = escrow.milestones.get(position=1)
    services.milestone_deliver(milestone=first, by=holder)
    with django_capture_on_commit_callbacks(execute=True):
        services.milestone_accept(milestone=first, by=demander)
    services.escrow_release_request(escrow=escrow, by=holder, number="2025-0301-002", date=dt.date(2025, 3, 1),
                                    file=SimpleUploadedFile("notice.pdf", PDF))
    with django_capture_on_commit_callbacks(execute=True):
        services.escrow_release(escrow=escrow, by=operator)
    transfers = [r for r in fake_stripe.requests if r.path == "/v1/transfers"]
    assert [int(t.form["amount"]) for t in transfers] == [14_775_000, 29_550_000]
    assert {t.form["destination"] for t in transfers} == {"acct_seller123"}
    assert {t.form["transfer_group"] for t in transfers} == {f"deal-{escrow.deal_id}"}
    assert all(t.idempotency_key == f"payout-{t.form['metadata[reference]']}" for t in transfers)
    keys = [r.idempotency_key for r in fake_stripe.requests]
    assert len(keys) == len(set(keys)) and all(keys)

    # a transfer.created webhook for a transfer we already booked changes nothing
    before = LedgerTransaction.objects.count()
    transfer = fake_stripe.objects[transfers[0].form and next(k for k in fake_stripe.objects if k.startswith("tr_"))]
    assert post_event(client, fake_stripe, fake_stripe.event("transfer.created", transfer)).status_code == 200
    assert LedgerTransaction.objects.count() == before

    escrow.deal.refresh_from_db()
    patent.refresh_from_db()
    assert escrow.deal.status == DealStatus.CLOSED and set(patent.holders.all()) == {demand_org}
    exchange = selectors.exchange_statement()
    assert exchange.totals["stripe_clearing"] == exchange.totals["fee_revenue"] == 675_000
    assert selectors.party_statement(holder_org).totals["seller_paid_out"] == 44_325_000
    assert selectors.reconciliation() == []
    call_command("ledger_check")


def test_stripe_refund_goes_back_through_the_refund_api(client, fake_stripe, single_escrow, demander, operator, listing,
                                                        demand_org, django_capture_on_commit_callbacks):
    escrow = single_escrow
    fund_by_stripe(client, fake_stripe, escrow, demander)
    with pytest.raises(RuleBroken) as err:
        services.escrow_refund(escrow=escrow, by=operator, reason="卖方无法办理登记", amount=Money(45_000_001))
    assert err.value.rules == ["refund_exceeds_held"]
    fake_stripe.refund_status = "pending"
    with django_capture_on_commit_callbacks(execute=True):
        services.escrow_refund(escrow=escrow, by=operator, reason="卖方无法办理登记")
    [refund_call] = [r for r in fake_stripe.requests if r.path == "/v1/refunds"]
    intent_id = escrow.milestones.get().funding_reference and RailInstruction.objects.get(
        reference=escrow.milestones.get().funding_reference).external_id
    assert refund_call.form["payment_intent"] == intent_id and refund_call.form["amount"] == "45000000"
    assert refund_call.idempotency_key == f"refund-{refund_call.form['metadata[reference]']}"
    assert selectors.party_statement(demand_org).totals["refunds_paid"] == 0  # pending at Stripe
    refund = dict(fake_stripe.objects[next(k for k in fake_stripe.objects if k.startswith("re_"))], status="succeeded")
    # out of order: the update arrives first, then the creation; the refund is booked once
    assert post_event(client, fake_stripe, fake_stripe.event("refund.updated", refund)).json()["outcome"] == "confirmed"
    assert post_event(client, fake_stripe, fake_stripe.event("refund.created", refund)).json()["outcome"] == "ignored"
    escrow.refresh_from_db()
    escrow.deal.refresh_from_db()
    listing.refresh_from_db()
    assert escrow.status == EscrowStatus.REFUNDED and escrow.deal.status == DealStatus.CANCELLED
    assert listing.status == ListingStatus.PUBLISHED
    buyer = selectors.party_statement(demand_org)
    assert buyer.totals["paid_into_escrow"] == buyer.totals["refunds_due"] == buyer.totals["refunds_paid"] == 45_000_000
    assert selectors.exchange_statement().totals["stripe_clearing"] == 0
    assert selectors.reconciliation() == []
    call_command("ledger_check")
