"""The contract every payment rail passes (as every search engine passes tests/search/test_contract.py): frozen
dataclasses in and out, unique references, exact amounts, one confirmation per instruction, refunds of a funding."""
from __future__ import annotations

import dataclasses
import json

import pytest

from escrow.gateways.bank import BankTransferRail
from escrow.gateways.common import reference_well_formed
from escrow.gateways.interface import FundingRequest, PayoutRequest, RefundRequest, get_rail
from escrow.gateways.models import InstructionStatus, RailInstruction
from escrow.gateways.stripe_rail import StripeRail
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import RuleBroken

AMOUNT = Money(1_234_567)


class BankDriver:
    """Stands in for the bank: the operator's receipt confirms a funding; the statement confirms a payout."""

    def __init__(self, operator):
        self.rail, self.operator, self.n = BankTransferRail(), operator, 0

    def confirm_funding(self, instructions, amount=None):
        self.n += 1
        return self.rail.receipt_record(reference=instructions.reference, amount=amount or instructions.amount,
                                        bank_txn_id=f"C{self.n}", by=self.operator)

    def confirm_sent(self, issued):
        assert self.rail.send(issued.reference) is None  # the bank confirms later
        self.n += 1
        return self.rail.receipt_record(reference=issued.reference, amount=issued.amount, bank_txn_id=f"C{self.n}",
                                        by=self.operator, kind=issued.kind)


class StripeDriver:
    """Stands in for Stripe: the fake API answers the SDK; a signed webhook confirms a funding."""

    def __init__(self, fake):
        self.rail, self.fake = StripeRail(), fake

    def confirm_funding(self, instructions, amount=None):
        intent = self.fake.succeeded(instructions.pay_to["payment_intent"])
        if amount is not None:
            intent = dict(intent, amount_received=amount.amount)
        payload = json.dumps(self.fake.event("payment_intent.succeeded", intent)).encode()
        result = self.rail.webhook_parse(payload=payload, signature=self.fake.sign(payload))
        return result.confirmations[0]

    def confirm_sent(self, issued):
        return self.rail.send(issued.reference)


@pytest.fixture(params=["bank", "stripe"])
def driver(request, operator):
    if request.param == "bank":
        return BankDriver(operator)
    return StripeDriver(request.getfixturevalue("fake_stripe"))


def fund(driver):
    return driver.rail.funding_open(FundingRequest("deal-1", AMOUNT, "杭州物联感知科技有限公司", "交易 #1"))


def test_values_are_frozen_and_the_rail_is_found_by_name(driver):
    instructions = fund(driver)
    assert dataclasses.is_dataclass(instructions)
    with pytest.raises(dataclasses.FrozenInstanceError):
        instructions.reference = "x"  # type: ignore[misc]
    assert type(get_rail(driver.rail.name)) is type(driver.rail)


def test_funding_references_are_unique_and_amounts_exact(driver):
    first, second = fund(driver), fund(driver)
    assert first.reference != second.reference
    assert reference_well_formed(first.reference) and first.amount == AMOUNT and first.rail == driver.rail.name
    confirmation = driver.confirm_funding(first)
    assert (confirmation.kind, confirmation.reference, confirmation.amount) == ("funding", first.reference, AMOUNT)
    assert RailInstruction.objects.get(reference=first.reference).status == InstructionStatus.CONFIRMED


def test_a_funding_with_another_amount_is_refused(driver):
    instructions = fund(driver)
    with pytest.raises(RuleBroken) as err:
        driver.confirm_funding(instructions, amount=Money(AMOUNT.amount - 1))
    assert err.value.rules == ["amount_mismatch"]
    assert RailInstruction.objects.get(reference=instructions.reference).status == InstructionStatus.OPEN


def test_payouts_and_refunds_are_issued_then_confirmed_once(driver):
    funding = fund(driver)
    driver.confirm_funding(funding)
    payout = driver.rail.payout_issue(PayoutRequest("deal-1", Money(1_000_000), "苏州纳微新材料有限公司",
                                                    "6222000011112222" if driver.rail.name == "bank" else "acct_seller123",
                                                    "交易 #1 放款"))
    refund = driver.rail.refund_issue(RefundRequest("deal-1", funding.reference, Money(234_567), "交易 #1 退款"))
    for issued in (payout, refund):
        assert not issued.confirmed and reference_well_formed(issued.reference)
        confirmation = driver.confirm_sent(issued)
        assert (confirmation.kind, confirmation.amount) == (issued.kind, issued.amount)
    records = {r.reference: r for r in driver.rail.records("deal-1")}
    assert {records[x.reference].status for x in (funding, payout, refund)} == {"confirmed"}
    assert driver.rail.send(payout.reference) is None  # sent once: nothing more moves
