"""Money out of escrow: the split of a milestone (seller less fee and commission, brokers, buyer refund) as one
balanced transaction, the payouts and refunds issued on the rail the money came by, and sending them."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from escrow.gateways.interface import PayoutRequest, RefundRequest, get_rail
from escrow.gateways.models import Rail
from escrow.ledger.models import AccountType
from escrow.ledger.services import transaction_post
from escrow.settlement.fees import split_evenly
from escrow.settlement.models import (
    Escrow,
    EscrowMilestone,
    PayeeAccount,
    Payout,
)
from escrow.settlement.services.accounts import fee_account, held_account, ledger_lines, org_account
from escrow.settlement.services.funding import confirmation_apply
from escrow.settlement.services.machine import M
from marketplace.kernel.statemachine import RuleBroken
from marketplace.models import Organisation


def _payee(org: Organisation, rail: str) -> str:
    account = PayeeAccount.objects.filter(organisation=org).first()
    if rail == Rail.STRIPE:
        return account.stripe_account if account else ""
    return account.bank_account_number if account else ""


def _payout(escrow: Escrow, milestone: EscrowMilestone, org: Organisation, account_type: str, amount: int,
            description: str) -> Payout | None:
    """Issue a payout (or, for ``refunds_payable``, a refund of the milestone's funding) on the milestone's rail."""
    if amount <= 0:
        return None
    rail = get_rail(milestone.funding_rail)
    money = escrow.money(amount)
    if account_type == AccountType.REFUNDS_PAYABLE:
        issued = rail.refund_issue(RefundRequest(escrow.group, milestone.funding_reference, money, description))
    else:
        payee = _payee(org, milestone.funding_rail)
        if milestone.funding_rail == Rail.STRIPE and not payee.startswith("acct_"):
            raise RuleBroken([("payee_account", "payee_account_missing",
                               f"{org} 未绑定 Stripe 收款账户 / {org} has no Stripe connected account")])
        issued = rail.payout_issue(PayoutRequest(escrow.group, money, org.name, payee, description))
    payout = Payout.objects.create(escrow=escrow, milestone=milestone, organisation=org, account_type=account_type,
                                   rail=milestone.funding_rail, reference=issued.reference, amount=amount,
                                   currency=escrow.currency)
    reference = issued.reference
    transaction.on_commit(lambda: payout_send(reference=reference))
    return payout


def split_out(escrow: Escrow, m: EscrowMilestone, *, seller_gross: int, refund: int, kind: str, by: User | None) -> None:
    """Move ``seller_gross + refund`` of the milestone out of escrow: the seller's part less its share of the fee and
    commission, the brokers' commission, the buyer's refund — one balanced transaction, then the payouts."""
    funding = m.funding_amount
    assert 0 <= seller_gross and 0 <= refund and seller_gross + refund == funding
    fee = m.fee_amount * seller_gross // funding if funding else 0
    commission = m.commission_amount * seller_gross // funding if funding else 0
    if seller_gross == funding:
        fee, commission = m.fee_amount, m.commission_amount
    net = seller_gross - fee - commission
    brokers = list(escrow.brokers.order_by("pk"))
    shares = split_evenly(commission, len(brokers)) if brokers else []
    if commission and not brokers:
        net += commission
        commission = 0
    cur = escrow.currency
    deal = escrow.deal
    lines = ledger_lines(
        (held_account(escrow), funding),
        (org_account(AccountType.SELLER_PAYABLE, deal.seller_id, cur), -net),
        (fee_account(cur), -fee),
        (org_account(AccountType.REFUNDS_PAYABLE, deal.buyer_id, cur), -refund),
        *[(org_account(AccountType.COMMISSION_PAYABLE, b.pk, cur), -share) for b, share in zip(brokers, shares)],
    )
    if lines:
        transaction_post(kind=kind, lines=lines, currency=cur, subject=escrow.key, by=by,
                         reference=f"{kind}:{escrow.pk}:{m.position}",
                         memo=f"交易 #{deal.pk} {m.label} / deal #{deal.pk} milestone {m.position}")
    label = f"交易 #{deal.pk} {m.label}"
    _payout(escrow, m, deal.seller, AccountType.SELLER_PAYABLE, net, label)
    for broker, share in zip(brokers, shares):
        _payout(escrow, m, broker, AccountType.COMMISSION_PAYABLE, share, f"{label} 佣金")
    _payout(escrow, m, deal.buyer, AccountType.REFUNDS_PAYABLE, refund, f"{label} 退款")
    m.status = M.RELEASED if refund == 0 else (M.REFUNDED if seller_gross == 0 else M.SETTLED)
    m.settled_at = timezone.now()
    m.save(update_fields=["status", "settled_at"])



def payout_send(*, reference: str) -> None:
    """Ask the rail to move an issued payout or refund (after commit; retried by the beat task while open)."""
    payout = Payout.objects.filter(reference=reference, confirmed=False).first()
    if payout is None:
        return
    with transaction.atomic():
        confirmation = get_rail(payout.rail).send(reference)
        if confirmation is not None:
            confirmation_apply(confirmation=confirmation)
