"""The one interface every payment rail implements, with frozen dataclasses in and out.

A rail opens funding instructions, issues payouts and refunds, and turns what the outside world tells it
(an operator's bank receipt, a statement line, a signed webhook) into ``Confirmation`` values that settlement
applies to the ledger. Amounts are ``Money`` (integer minor units); a rail converts only at its own edge.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from marketplace.kernel.money import Money


@dataclass(frozen=True)
class FundingRequest:
    group: str  # what the money is for, e.g. "deal-12" (Stripe's transfer_group)
    amount: Money
    payer_name: str
    description: str


@dataclass(frozen=True)
class FundingInstructions:
    rail: str
    reference: str  # unique; the payer quotes it (bank) or it is the PaymentIntent's metadata (Stripe)
    amount: Money
    pay_to: dict[str, str] = field(default_factory=dict)  # bank account details, or Stripe's client secret and id


@dataclass(frozen=True)
class PayoutRequest:
    group: str
    amount: Money
    payee_name: str
    payee_account: str  # bank account number, or Stripe connected account id
    description: str


@dataclass(frozen=True)
class RefundRequest:
    group: str
    funding_reference: str  # the funding being returned (the same rail)
    amount: Money
    description: str


@dataclass(frozen=True)
class IssuedInstruction:
    rail: str
    kind: str
    reference: str
    amount: Money
    external_id: str
    confirmed: bool  # the rail settled it at once (a Stripe transfer); otherwise a Confirmation follows


@dataclass(frozen=True)
class Confirmation:
    """The rail confirms money moved for one instruction: apply exactly once."""

    rail: str
    kind: str  # funding | payout | refund
    reference: str
    amount: Money
    event_id: str
    external_id: str = ""


@dataclass(frozen=True)
class RailRecord:
    """The rail's own view of one instruction, for reconciliation."""

    rail: str
    kind: str
    reference: str
    group: str
    amount: Money
    status: str
    external_id: str


class PaymentRail(ABC):
    name: str

    @abstractmethod
    def funding_open(self, request: FundingRequest) -> FundingInstructions:
        """Instructions for the payer, with a reference never used before."""

    @abstractmethod
    def payout_issue(self, request: PayoutRequest) -> IssuedInstruction:
        """Record a payout to a payee with a new reference; no money moves until ``send``."""

    @abstractmethod
    def refund_issue(self, request: RefundRequest) -> IssuedInstruction:
        """Record the return of (part of) a confirmed funding through the rail it came by; sent by ``send``."""

    @abstractmethod
    def send(self, reference: str) -> Confirmation | None:
        """Ask the rail to move the money of an open payout or refund (idempotent: the instruction's key goes with
        every call). Returns the confirmation when the rail settles at once; ``None`` when it confirms later
        (a bank's statement, a Stripe webhook)."""

    def records(self, group: str | None = None) -> list[RailRecord]:
        from escrow.gateways.models import RailInstruction

        rows = RailInstruction.objects.filter(rail=self.name)
        if group:
            rows = rows.filter(group=group)
        return [RailRecord(r.rail, r.kind, r.reference, r.group, Money(int(r.amount), r.currency), r.status, r.external_id)
                for r in rows.order_by("pk")]


def get_rail(name: str) -> PaymentRail:
    """The rail named ``name`` from ``settings.PAYMENT_RAILS`` (name → dotted class path)."""
    from marketplace.kernel.statemachine import RuleBroken

    path = settings.PAYMENT_RAILS.get(name)
    if path is None:
        raise RuleBroken([("rail", "unknown_rail", f"未知支付通道 {name!r} / unknown payment rail")])
    return import_string(path)()
