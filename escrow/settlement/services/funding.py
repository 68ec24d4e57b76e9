"""Money into escrow: opening it when the contract is confirmed, funding instructions per milestone, and each
rail's confirmations (bank receipts and statements, Stripe webhooks) applied exactly once."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from escrow.gateways.bank import BankTransferRail, StatementResult
from escrow.gateways.interface import Confirmation, FundingInstructions, FundingRequest, get_rail
from escrow.gateways.models import InstructionKind, InstructionStatus, Rail, RailInstruction
from escrow.gateways.stripe_rail import StripeRail, WebhookResult
from escrow.ledger.models import AccountType
from escrow.ledger.services import transaction_post
from escrow.settlement.fees import breakdown
from escrow.settlement.models import (
    Escrow,
    EscrowMilestone,
    EscrowTransition,
    EvidenceKind,
    Payout,
)
from escrow.settlement.services.accounts import clearing_account, held_account, ledger_lines, org_account
from escrow.settlement.services.machine import E, M, step, tell
from listings.deals import access
from listings.deals.models import Deal, DealKind, Side
from listings.deals.services import lifecycle as deal_lifecycle
from marketplace import permissions
from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import RuleBroken, Rules
from marketplace.notifications import text


# --------------------------------------------------------------------------------------------
# Opening, funding
# --------------------------------------------------------------------------------------------
@transaction.atomic
def escrow_open(*, deal: Deal) -> Escrow:
    """The contract is confirmed: fix the split shown to both sides, create the milestones, ask the buyer to fund."""
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    existing = Escrow.objects.filter(deal=locked).first()
    if existing is not None:
        return existing
    split = breakdown(locked)
    offer = locked.agreed_offer
    assert offer is not None
    escrow = Escrow.objects.create(
        deal=locked, currency=split.price.currency, price_amount=split.price.amount, fee_amount=split.fee.amount,
        fee_bps=split.fee_bps, buyer_commission_amount=split.buyer_commission.amount,
        seller_commission_amount=split.seller_commission.amount,
        funding_deadline=timezone.now() + dt.timedelta(days=settings.ESCROW_FUNDING_DAYS),
        inspection_days=settings.ESCROW_INSPECTION_DAYS,
        evidence_kind=EvidenceKind.RECORDAL if offer.deal_type == DealKind.ASSIGNMENT else EvidenceKind.LICENCE_FILING,
    )
    escrow.brokers.set(split.brokers)
    EscrowMilestone.objects.bulk_create([
        EscrowMilestone(escrow=escrow, position=m.position, label=m.label[:200], price_amount=m.price.amount,
                        fee_amount=m.fee.amount, buyer_commission_amount=m.buyer_commission.amount,
                        seller_commission_amount=m.seller_commission.amount, is_final=m.is_final)
        for m in split.milestones
    ])
    EscrowTransition.objects.create(escrow=escrow, action="open", from_status=E.AWAITING_FUNDING,
                                    to_status=E.AWAITING_FUNDING, by=None, reason=f"合同已确认 / deal #{locked.pk}")
    deal_lifecycle.deal_await_funding(deal=locked)
    tell(escrow, "open", text(_("交易 #{pk} 请付款至托管：买方支付 {pays}，卖方实收 {gets}"), pk=locked.pk,
                                      pays=str(split.buyer_pays), gets=str(split.seller_receives)))
    return escrow


@transaction.atomic
def milestone_funding_open(*, milestone: EscrowMilestone, by: User, rail: str = Rail.BANK) -> FundingInstructions:
    """The buyer asks how to pay one milestone (bank transfer instructions, or a Stripe PaymentIntent)."""
    escrow = Escrow.objects.select_for_update().select_related("deal", "deal__buyer").get(pk=milestone.escrow_id)
    if access.acting_side(by, escrow.deal) != Side.BUYER:
        raise NotPermitted("由买方付款 / the buyer funds the escrow")
    milestone = EscrowMilestone.objects.get(pk=milestone.pk)
    rules = Rules()
    rules.check(escrow.status == E.AWAITING_FUNDING, "status", "not_awaiting_funding", "托管不在待付款状态 / not awaiting funding")
    rules.check(milestone.status == M.AWAITING_FUNDING, "milestone", "milestone_funded", "该节点已付款 / already funded")
    rules.check(rail in Rail.values, "rail", "unknown_rail", f"未知支付通道 {rail!r} / unknown rail")
    rules.raise_if_any()
    gateway = get_rail(rail)
    if milestone.funding_reference:
        old = RailInstruction.objects.filter(reference=milestone.funding_reference).first()
        if old is not None and old.status == InstructionStatus.OPEN and old.rail == Rail.BANK:
            old.status = InstructionStatus.CANCELLED
            old.save(update_fields=["status"])
    instructions = gateway.funding_open(FundingRequest(
        escrow.group, escrow.money(milestone.funding_amount), escrow.deal.buyer.name,
        f"交易 #{escrow.deal_id} {milestone.label}"))
    milestone.funding_reference, milestone.funding_rail = instructions.reference, rail
    milestone.save(update_fields=["funding_reference", "funding_rail"])
    return instructions


@transaction.atomic
def confirmation_apply(*, confirmation: Confirmation, by: User | None = None) -> None:
    """Apply a rail's confirmation exactly once: a funding funds its milestone; a payout or refund leaves clearing."""
    if confirmation.kind == InstructionKind.FUNDING:
        m = EscrowMilestone.objects.filter(funding_reference=confirmation.reference).first()
        if m is None:
            raise RuleBroken([("reference", "unknown_reference", f"参考号 {confirmation.reference} 不属于任何托管 / unknown")])
        escrow = Escrow.objects.get(pk=m.escrow_id)

        def effect(locked: Escrow, _t):
            milestone = EscrowMilestone.objects.get(pk=m.pk)
            if milestone.status != M.AWAITING_FUNDING:
                raise RuleBroken([("reference", "reference_reused", "该节点已付款 / this milestone is already funded")])
            if confirmation.amount != locked.money(milestone.funding_amount):
                raise RuleBroken([("amount", "amount_mismatch", "付款金额与节点不符 / amount does not match the milestone")])
            cur = locked.currency
            buyer_funding = org_account(AccountType.BUYER_FUNDING, locked.deal.buyer_id, cur)
            amount = confirmation.amount.amount
            transaction_post(
                kind="funding", currency=cur, subject=locked.key, by=by, reference=f"rail:{confirmation.reference}",
                memo=f"交易 #{locked.deal_id} {milestone.label} 付款 / funding",
                lines=ledger_lines((clearing_account(confirmation.rail, cur), amount), (buyer_funding, -amount),
                                 (buyer_funding, amount), (held_account(locked), -amount)),
            )
            milestone.status = M.FUNDED
            milestone.save(update_fields=["status"])
            return []

        others_open = EscrowMilestone.objects.filter(escrow=escrow, status=M.AWAITING_FUNDING).exclude(pk=m.pk).exists()
        action = "fund_part" if others_open else "fund"
        after = None if others_open else (lambda locked: deal_lifecycle.deal_funded(deal=locked.deal))
        step(escrow, action, by=by, reason=f"{m.label} {confirmation.reference}", effect=effect, after=after)
        return
    payout = Payout.objects.select_for_update().filter(reference=confirmation.reference).first()
    if payout is None:
        raise RuleBroken([("reference", "unknown_reference", f"参考号 {confirmation.reference} 不属于任何出款 / unknown")])
    if payout.confirmed:
        raise RuleBroken([("reference", "reference_reused", "该出款已确认 / already confirmed")])
    Escrow.objects.select_for_update().get(pk=payout.escrow_id)
    transaction_post(
        kind=confirmation.kind, currency=payout.currency, subject=f"escrow:{payout.escrow_id}", by=by,
        reference=f"rail:{payout.reference}", memo=f"{payout.account_type} → {payout.rail} {payout.reference}",
        lines=ledger_lines((org_account(payout.account_type, payout.organisation_id, payout.currency), payout.amount),
                           (clearing_account(payout.rail, payout.currency), -payout.amount)),
    )
    payout.confirmed = True
    payout.save(update_fields=["confirmed"])



# --------------------------------------------------------------------------------------------
# Bank receipts and statements, Stripe webhooks
# --------------------------------------------------------------------------------------------
@transaction.atomic
def bank_receipt_record(*, reference: str, amount: Money, bank_txn_id: str, by: User) -> Confirmation:
    """An operator records money received (or sent, for a payout/refund reference) against its reference."""
    if not permissions.is_operator(by):
        raise NotPermitted("仅运营人员可以登记银行到账 / only operators record bank receipts")
    row = RailInstruction.objects.filter(reference=(reference or "").strip().upper(), rail=Rail.BANK).first()
    kind = row.kind if row is not None else InstructionKind.FUNDING
    confirmation = BankTransferRail().receipt_record(reference=reference, amount=amount, bank_txn_id=bank_txn_id,
                                                     by=by, kind=kind)
    confirmation_apply(confirmation=confirmation, by=by)
    return confirmation


@transaction.atomic
def bank_statement_import(*, file: UploadedFile, by: User) -> StatementResult:
    """An operator uploads the bank's statement: matched lines are applied, the rest listed with their reason."""
    if not permissions.is_operator(by):
        raise NotPermitted("仅运营人员可以导入对账单 / only operators import statements")
    content = file.read()
    if len(content) > 5 * 1024 * 1024:
        raise RuleBroken([("file", "file_too_large", "对账单不超过 5 MB / at most 5 MB")])
    return BankTransferRail().statement_import(content=content, filename=file.name or "statement.csv", by=by,
                                               apply=lambda c: confirmation_apply(confirmation=c, by=by))


@transaction.atomic
def stripe_webhook_receive(*, payload: bytes, signature: str) -> WebhookResult:
    """Verify, record once, and apply a Stripe event (all or nothing)."""
    result = StripeRail().webhook_parse(payload=payload, signature=signature)
    for confirmation in result.confirmations:
        confirmation_apply(confirmation=confirmation)
    return result
