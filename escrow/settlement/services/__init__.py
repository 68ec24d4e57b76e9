"""Escrow per deal: the declared machine and one locked service per step; each money step posts its ledger
transaction in the same database transaction as the status change (``apply_transition`` locks the escrow row).

awaiting_funding → funded (milestone by milestone) → release_requested → released | refunded | disputed → resolved;
``cancelled`` when the funding deadline passes. The deal follows through the deals services
(``deal_await_funding``, ``deal_funded``, ``deal_settle``, ``deal_settlement_cancel``).

One module per responsibility; import the services from here:

| module | owns |
|---|---|
| ``machine`` | ``ESCROW_MACHINE``, who may take each step, ``step`` (lock, check, change, audit, tell) |
| ``accounts`` | the ledger accounts a step posts to, read in one query per posting |
| ``funding`` | opening the escrow, funding instructions, rail confirmations (bank receipts and statements, Stripe) |
| ``payouts`` | the split of a milestone out of escrow, payouts and refunds on the rail, sending them |
| ``release`` | delivery, acceptance, release evidence and its check, the release |
| ``refunds`` | refunds, the funding deadline, disputes and their resolution |

Ledger shapes (``escrow:<id>`` is the escrow's held account; ``org:<id>`` a party's):
funding   Dr <rail> clearing, Cr buyer funding; Dr buyer funding, Cr escrow held
release   Dr escrow held; Cr seller payable (net), fee revenue (fee), commission payable (each broker)
refund    Dr escrow held; Cr refunds payable (buyer)      payout/refund sent: Dr payable, Cr <rail> clearing
"""
from escrow.settlement.services.accounts import CLEARING
from escrow.settlement.services.funding import (
    bank_receipt_record,
    bank_statement_import,
    confirmation_apply,
    escrow_open,
    milestone_funding_open,
    stripe_webhook_receive,
)
from escrow.settlement.services.machine import ESCROW_MACHINE, HELD, EscrowActor
from escrow.settlement.services.payouts import payout_send
from escrow.settlement.services.refunds import escrow_dispute, escrow_expire, escrow_refund, escrow_resolve
from escrow.settlement.services.release import (
    escrow_evidence_reject,
    escrow_release,
    escrow_release_request,
    milestone_accept,
    milestone_deliver,
)

__all__ = [
    "CLEARING", "ESCROW_MACHINE", "HELD", "EscrowActor",
    "bank_receipt_record", "bank_statement_import", "confirmation_apply", "escrow_dispute", "escrow_evidence_reject",
    "escrow_expire", "escrow_open", "escrow_refund", "escrow_release", "escrow_release_request", "escrow_resolve",
    "milestone_accept", "milestone_deliver", "milestone_funding_open", "payout_send", "stripe_webhook_receive",
]
