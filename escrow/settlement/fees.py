"""The price split shown to both sides before funding: exchange fee, broker commission, what the seller receives,
and how each milestone carries its share. Pure integer arithmetic: the parts always add up to the whole."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from listings.deals.models import BrokerStatus, CommissionPayer, Deal
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import RuleBroken
from marketplace.models import Organisation


def allocate(total: int, weights: Sequence[int], caps: Sequence[int] | None = None) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder), never giving a part more than its cap.

    The parts sum to ``total`` exactly; requires ``0 <= total <= sum(caps)`` and caps ≥ the proportional share."""
    caps = list(caps) if caps is not None else [total] * len(weights)
    whole = sum(weights)
    if not weights or total == 0:
        return [0] * len(weights)
    if whole == 0:
        weights, whole = [1] * len(weights), len(weights)
    parts = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    left = total - sum(parts)
    while left:
        progressed = False
        for i in order:
            if left and parts[i] < caps[i]:
                parts[i] += 1
                left -= 1
                progressed = True
        if not progressed:
            raise ValueError("allocation exceeds the caps")
    return parts


def split_evenly(total: int, n: int) -> list[int]:
    return allocate(total, [1] * n) if n else []


@dataclass(frozen=True)
class MilestoneSplit:
    position: int
    label: str
    price: Money
    fee: Money
    buyer_commission: Money
    seller_commission: Money
    is_final: bool

    @property
    def buyer_pays(self) -> Money:
        return self.price + self.buyer_commission

    @property
    def seller_receives(self) -> Money:
        return self.price - self.fee - self.seller_commission


@dataclass(frozen=True)
class Breakdown:
    price: Money
    fee: Money
    fee_bps: int
    fee_minimum: Money
    commission: Money
    buyer_commission: Money
    seller_commission: Money
    brokers: tuple[Organisation, ...]
    milestones: tuple[MilestoneSplit, ...]

    @property
    def buyer_pays(self) -> Money:
        return self.price + self.buyer_commission

    @property
    def seller_receives(self) -> Money:
        return self.price - self.fee - self.seller_commission


def fee_for(deal_type: str, price: Money) -> tuple[Money, int, Money]:
    """The exchange fee from the schedule the operator set: bps of the price, at least the minimum, at most the price."""
    from escrow.settlement.models import FeeSchedule

    row = FeeSchedule.objects.filter(deal_type=deal_type, currency=price.currency).first()
    if row is None:
        return Money(0, price.currency), 0, Money(0, price.currency)
    fee = max(price.split_bps(row.bps).amount, int(row.minimum_amount))
    return Money(min(fee, price.amount), price.currency), row.bps, Money(int(row.minimum_amount), price.currency)


def breakdown(deal: Deal) -> Breakdown:
    """The split of the deal's agreed price (refused when no terms are agreed)."""
    offer = deal.agreed_offer
    if offer is None:
        raise RuleBroken([("deal", "terms_not_agreed", "交易尚无商定条款 / the deal has no agreed terms")])
    price = offer.price
    fee, bps, minimum = fee_for(offer.deal_type, price)
    brokers = tuple(b.organisation for b in deal.brokers.filter(status=BrokerStatus.ACCEPTED).select_related("organisation")
                    if b.organisation is not None)
    commission = 0
    if brokers:
        if deal.commission_bps is not None:
            commission = price.split_bps(deal.commission_bps).amount
        elif deal.commission_fixed_amount is not None:
            commission = int(deal.commission_fixed_amount)
    payer = str(deal.commission_payer or CommissionPayer.SELLER)
    buyer_part = {str(CommissionPayer.BUYER): commission, str(CommissionPayer.SPLIT): commission // 2}.get(payer, 0)
    seller_part = commission - buyer_part
    if fee.amount + seller_part > price.amount:
        raise RuleBroken([("commission", "deductions_exceed_price",
                           "服务费与卖方佣金超过价款 / the fee and the seller's commission exceed the price")])
    plan = [(str(m.get("label") or f"#{i + 1}"), int(m["amount"])) for i, m in enumerate(offer.milestones or [])]
    if not plan or sum(a for _, a in plan) != price.amount:
        plan = [("全款 / full price", price.amount)]
    weights = [a for _, a in plan]
    fees = allocate(fee.amount, weights, weights)
    sellers = allocate(seller_part, weights, [w - f for w, f in zip(weights, fees)])
    buyers = allocate(buyer_part, weights)
    cur = price.currency
    milestones = tuple(
        MilestoneSplit(i + 1, label, Money(amount, cur), Money(fees[i], cur), Money(buyers[i], cur), Money(sellers[i], cur),
                       is_final=(i == len(plan) - 1))
        for i, (label, amount) in enumerate(plan)
    )
    return Breakdown(price, fee, bps, minimum, Money(commission, cur), Money(buyer_part, cur), Money(seller_part, cur),
                     brokers, milestones)
