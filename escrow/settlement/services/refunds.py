"""Refunds, the funding deadline and disputes: everything held goes back by its rail, or an operator splits a
disputed escrow; each is a ledger transaction in the same database transaction as the step."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from escrow.settlement.models import (
    Escrow,
)
from escrow.settlement.services.machine import HELD, step
from escrow.settlement.services.payouts import split_out
from listings.deals.services import lifecycle as deal_lifecycle
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import RuleBroken, Rules
from marketplace.notifications import notify, text
from marketplace.services import operators
from marketplace.verbs import Verb


def _refund_all(locked: Escrow, by: User | None) -> None:
    for m in locked.milestones.filter(status__in=HELD).order_by("position"):
        split_out(locked, m, seller_gross=0, refund=m.funding_amount, kind="refund", by=by)


def escrow_refund(*, escrow: Escrow, by: User, reason: str, amount: Money | None = None) -> Escrow:
    """An operator refunds everything held, back through the rail each milestone came by; the deal is cancelled.
    A partial refund is a dispute resolution (``escrow_resolve``)."""

    def effect(locked: Escrow, _t):
        held = locked.money(sum(m.funding_amount for m in locked.milestones.filter(status__in=HELD)))
        if amount is not None:
            if amount.currency != held.currency:
                raise RuleBroken([("currency", "currency_mismatch", "币种不符 / currency does not match")])
            if amount.amount > held.amount:
                raise RuleBroken([("amount", "refund_exceeds_held",
                                   f"退款 {amount} 超过托管余额 {held} / the refund exceeds what is held")])
            if amount.amount < held.amount:
                raise RuleBroken([("amount", "partial_refund_needs_resolution",
                                   "部分退款须经争议处理 / a partial refund is a dispute resolution")])
        _refund_all(locked, by)
        return []

    return step(escrow, "refund", by=by, reason=reason, effect=effect,
                 after=lambda locked: deal_lifecycle.deal_settlement_cancel(deal=locked.deal, by=None, reason=reason))


def escrow_expire(*, escrow: Escrow, reason: str = "") -> Escrow:
    """The funding deadline passed: any part already paid is refunded, the deal is cancelled, both sides are told."""
    reason = reason or "付款截止日已过 / the funding deadline passed"
    return step(escrow, "expire", by=None, reason=reason, effect=lambda locked, _t: _refund_all(locked, None),
                 after=lambda locked: deal_lifecycle.deal_settlement_cancel(deal=locked.deal, by=None, reason=reason))


def escrow_dispute(*, escrow: Escrow, by: User, reason: str) -> Escrow:
    """A party disputes: the escrow is frozen (no delivery, acceptance, release or refund) until an operator resolves it."""
    escrow = step(escrow, "dispute", by=by, reason=reason)
    notify(users=operators(), verb=Verb.ESCROW_DISPUTE, title=text(_("交易 #{pk} 托管争议待处理"), pk=escrow.deal_id),
           body=reason, url=escrow.deal.get_absolute_url())
    return escrow


def escrow_resolve(*, escrow: Escrow, by: User, reason: str, seller_amount: Money) -> Escrow:
    """An operator settles a dispute: ``seller_amount`` of what is held goes to the seller's side (less the fee and
    commission in proportion), the rest back to the buyer — one ledger transaction per milestone; the deal ends."""

    def effect(locked: Escrow, _t):
        held_ms = list(locked.milestones.filter(status__in=HELD).order_by("position"))
        held = sum(m.funding_amount for m in held_ms)
        rules = Rules()
        rules.check(seller_amount.currency == locked.currency, "seller_amount", "currency_mismatch",
                    "币种不符 / currency does not match")
        rules.check(0 <= seller_amount.amount <= held, "seller_amount", "split_exceeds_held",
                    f"分配给卖方的金额须在 0 至 {locked.money(held)} 之间 / the split must be within what is held")
        rules.raise_if_any()
        to_seller = seller_amount.amount
        for m in held_ms:
            part = min(to_seller, m.funding_amount)
            to_seller -= part
            split_out(locked, m, seller_gross=part, refund=m.funding_amount - part, kind="resolve", by=by)
        locked.resolution_note = f"{reason}\n卖方 {seller_amount}，买方 {locked.money(held - seller_amount.amount)}"
        return ["resolution_note"]

    return step(escrow, "resolve", by=by, reason=reason, effect=effect,
                 after=lambda locked: deal_lifecycle.deal_settlement_cancel(deal=locked.deal, by=None,
                                                                            reason=f"托管争议已处理 / dispute resolved: {reason}"))
