"""The ledger accounts an escrow step posts to, named by key and read together: one query per posting, not one per
account (``escrow.ledger.services.accounts_for``).

``escrow:<id>`` is the escrow's held account; ``org:<id>`` a party's; clearing and fee accounts are the exchange's.
"""
from __future__ import annotations

from escrow.gateways.models import Rail
from escrow.ledger.models import AccountType
from escrow.ledger.services import EXCHANGE, AccountKey, Line, accounts_for
from escrow.settlement.models import Escrow

CLEARING = {Rail.BANK: AccountType.BANK_CLEARING, Rail.STRIPE: AccountType.STRIPE_CLEARING}


def org_account(type: str, org_id: int, currency: str) -> AccountKey:
    return (type, f"org:{org_id}", currency)


def held_account(escrow: Escrow) -> AccountKey:
    return (AccountType.ESCROW_HELD, escrow.key, escrow.currency, f"交易 #{escrow.deal_id}")


def clearing_account(rail: str, currency: str) -> AccountKey:
    return (CLEARING[Rail(rail)], EXCHANGE, currency)


def fee_account(currency: str) -> AccountKey:
    return (AccountType.FEE_REVENUE, EXCHANGE, currency)


def ledger_lines(*pairs: tuple[AccountKey, int]) -> list[Line]:
    """Ledger lines for ``(account key, amount)`` pairs, zero amounts left out, every account read in one query."""
    kept = [(key, amount) for key, amount in pairs if amount]
    accounts = accounts_for([key for key, _ in kept])
    return [Line(account, amount) for account, (_, amount) in zip(accounts, kept)]
