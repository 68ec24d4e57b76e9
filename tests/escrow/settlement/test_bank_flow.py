"""The bank-transfer path end to end: escrow opens on the confirmed contract, the operator matches receipts,
milestones release, the recordal releases the rest, the patentee changes, statements agree, ledger_check passes."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from escrow.gateways.models import RailInstruction
from escrow.ledger.models import Entry, LedgerTransaction
from escrow.settlement import selectors, services
from escrow.settlement.fees import breakdown
from escrow.settlement.models import EscrowStatus, MilestoneStatus, Payout
from listings.catalogue.models import PatenteeRole
from listings.deals.models import DealStatus
from listings.deals.services import lifecycle
from listings.trading.models import ListingStatus
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import IllegalTransition, RuleBroken

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def evidence():
    return SimpleUploadedFile("登记通知书.pdf", PDF, content_type="application/pdf")


def fingerprint():
    return (LedgerTransaction.objects.count(), Entry.objects.count(),
            list(RailInstruction.objects.values_list("reference", "status")))


def fund_by_bank(escrow, demander, operator):
    refs = []
    for m in escrow.milestones.order_by("position"):
        instructions = services.milestone_funding_open(milestone=m, by=demander, rail="bank")
        services.bank_receipt_record(reference=instructions.reference, amount=instructions.amount,
                                     bank_txn_id=f"B{m.position}", by=operator)
        refs.append(instructions.reference)
    escrow.refresh_from_db()
    return refs


def statement_csv(rows):
    lines = ["date,txn_id,direction,amount,currency,reference"] + [",".join(r) for r in rows]
    return SimpleUploadedFile("statement.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv")


def test_the_split_is_fixed_and_shown_before_funding(escrow):
    assert escrow.deal.status == DealStatus.AWAITING_FUNDING and escrow.status == EscrowStatus.AWAITING_FUNDING
    split = breakdown(escrow.deal)
    assert split.price == Money(45_000_000) and split.fee == Money(675_000)  # 1.5 %
    assert split.seller_receives == Money(44_325_000) and split.buyer_pays == Money(45_000_000)
    assert [(m.price.amount, m.fee.amount) for m in split.milestones] == [(15_000_000, 225_000), (30_000_000, 450_000)]
    assert sum(m.seller_receives.amount for m in split.milestones) == split.seller_receives.amount
    assert (escrow.fee_amount, escrow.seller_net_amount) == (675_000, 44_325_000)


def test_the_seller_cannot_close_a_deal_in_escrow_by_hand(escrow, holder):
    with pytest.raises(RuleBroken) as err:
        lifecycle.deal_close(escrow.deal, holder)
    assert err.value.rules == ["settled_through_escrow"]


def test_receipts_that_do_not_match_move_no_money(escrow, demander, operator):
    m = escrow.milestones.get(position=1)
    ins = services.milestone_funding_open(milestone=m, by=demander, rail="bank")
    before = fingerprint()
    cases = [
        (dict(reference=ins.reference, amount=Money(14_999_999), bank_txn_id="X1"), "amount_mismatch"),
        (dict(reference=ins.reference, amount=Money(15_000_000, "USD"), bank_txn_id="X1"), "currency_mismatch"),
        (dict(reference="ZPF23456789AB2", amount=Money(15_000_000), bank_txn_id="X1"), "unknown_reference"),
        (dict(reference="nonsense", amount=Money(15_000_000), bank_txn_id="X1"), "unknown_reference"),
    ]
    for kwargs, rule in cases:
        with pytest.raises(RuleBroken) as err:
            services.bank_receipt_record(by=operator, **kwargs)
        assert err.value.rules == [rule]
        assert fingerprint() == before
    services.bank_receipt_record(reference=ins.reference, amount=Money(15_000_000), bank_txn_id="X1", by=operator)
    after = fingerprint()
    with pytest.raises(RuleBroken) as err:
        services.bank_receipt_record(reference=ins.reference, amount=Money(15_000_000), bank_txn_id="X2", by=operator)
    assert err.value.rules == ["reference_reused"]
    assert fingerprint() == after


def test_only_operators_record_receipts_and_only_the_buyer_funds(escrow, demander, holder):
    from marketplace.kernel.errors import NotPermitted

    m = escrow.milestones.get(position=1)
    with pytest.raises(NotPermitted):
        services.milestone_funding_open(milestone=m, by=holder, rail="bank")
    ins = services.milestone_funding_open(milestone=m, by=demander, rail="bank")
    with pytest.raises(NotPermitted):
        services.bank_receipt_record(reference=ins.reference, amount=ins.amount, bank_txn_id="B1", by=demander)


def test_bank_path_to_release_the_patentee_changes_and_statements_agree(escrow, demander, holder, operator,
                                                                        holder_org, demand_org, patent, listing,
                                                                        django_capture_on_commit_callbacks):
    fund_by_bank(escrow, demander, operator)
    assert escrow.status == EscrowStatus.FUNDED
    escrow.deal.refresh_from_db()
    assert escrow.deal.status == DealStatus.FUNDED
    assert selectors.held_amount(escrow) == Money(45_000_000)

    first = escrow.milestones.get(position=1)
    with pytest.raises(RuleBroken) as err:  # the final release waits for earlier milestones
        services.escrow_release_request(escrow=escrow, by=holder, number="2025第001号", date=dt.date(2025, 3, 1),
                                        file=evidence())
    assert err.value.rules == ["milestones_pending"]
    services.milestone_deliver(milestone=first, by=holder, note="合同已签署")
    services.milestone_accept(milestone=first, by=demander)
    first.refresh_from_db()
    assert first.status == MilestoneStatus.RELEASED

    with pytest.raises(IllegalTransition):  # no evidence yet: nothing releases
        services.escrow_release(escrow=escrow, by=operator)
    with pytest.raises(RuleBroken) as err:
        services.escrow_release_request(escrow=escrow, by=holder, number="", date=dt.date(2025, 3, 1), file=evidence())
    assert err.value.rules == ["evidence_number_required"]
    services.escrow_release_request(escrow=escrow, by=holder, number="专利权转移登记通知书 2025-0301-001",
                                    date=dt.date(2025, 3, 1), file=evidence())
    services.escrow_release(escrow=escrow, by=operator)
    escrow.refresh_from_db()
    assert escrow.status == EscrowStatus.RELEASED
    with pytest.raises(IllegalTransition):
        services.escrow_release(escrow=escrow, by=operator)

    deal = escrow.deal
    deal.refresh_from_db()
    listing.refresh_from_db()
    patent.refresh_from_db()
    assert deal.status == DealStatus.CLOSED and listing.status == ListingStatus.CLOSED
    assert set(patent.holders.all()) == {demand_org}
    owner = patent.patentee_links.get(role=PatenteeRole.RECORDED_OWNER)
    assert owner.patentee.organisation == demand_org

    payouts = list(Payout.objects.filter(escrow=escrow))
    assert sorted(p.amount for p in payouts) == [14_775_000, 29_550_000]
    assert not any(p.confirmed for p in payouts)
    csv = statement_csv([("2025-03-02", f"OUT{p.pk}", "debit", f"{p.amount // 100}.{p.amount % 100:02d}", "CNY", p.reference)
                         for p in payouts] + [("2025-03-02", "IN9", "credit", "100.00", "CNY", "NO-REF")])
    result = services.bank_statement_import(file=csv, by=operator)
    assert len(result.confirmations) == 2 and [u.txn_id for u in result.unmatched] == ["IN9"]
    again = services.bank_statement_import(file=statement_csv([("2025-03-02", f"OUT{payouts[0].pk}", "debit",
                                                                 "147750.00", "CNY", payouts[0].reference)]), by=operator)
    assert "line_matched_twice" in again.unmatched[0].note

    buyer, seller = selectors.party_statement(demand_org), selectors.party_statement(holder_org)
    exchange = selectors.exchange_statement()
    assert buyer.totals["paid_into_escrow"] == 45_000_000
    assert seller.totals["seller_proceeds"] == seller.totals["seller_paid_out"] == 44_325_000
    assert exchange.totals["fee_revenue"] == 675_000
    assert buyer.totals["paid_into_escrow"] == seller.totals["seller_proceeds"] + exchange.totals["fee_revenue"]
    assert exchange.totals["escrow_held"] == exchange.totals["seller_payable"] == 0
    assert exchange.totals["bank_clearing"] == 675_000  # only the fee stays at the bank
    assert selectors.deal_statement_totals(escrow) == {"buyer_paid": 45_000_000, "seller_received": 44_325_000,
                                                       "fee": 675_000, "commission": 0, "refunded": 0, "held": 0}
    assert [d.kind for d in selectors.reconciliation()] == ["statement line 4", "statement line 2"]
    call_command("ledger_check")
