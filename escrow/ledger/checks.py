"""The ledger's invariants, checked from the rows (``manage.py ledger_check``), plus those other domains register.

Each check returns a list of breaches (text); an empty list means it holds. Downstream domains (settlement)
add their own with ``register`` in their ``ready()`` — the ledger never imports them.
"""
from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from escrow.ledger.models import DEBIT_NORMAL, Account, Entry, LedgerTransaction

Check = Callable[[], list[str]]
_registered: dict[str, Check] = {}

#: the triggers that make entries and transactions append-only in the database
APPEND_ONLY_TRIGGERS = ("ledger_entry_append_only", "ledger_transaction_append_only")


def register(name: str, check: Check) -> None:
    _registered[name] = check


def _balanced() -> list[str]:
    rows = (LedgerTransaction.objects.annotate(total=Sum("entries__amount"), lines=Count("entries"))
            .filter(Q(lines__lt=2) | ~Q(total=0)).values_list("pk", "total", "lines")[:50])
    return [f"transaction #{pk}: {lines} entries summing to {total}" for pk, total, lines in rows]


def _one_currency() -> list[str]:
    rows = Entry.objects.exclude(account__currency=F("transaction__currency")).values_list("pk", "transaction_id")[:50]
    return [f"entry #{pk} of transaction #{txn}: account currency differs" for pk, txn in rows]


def _not_negative() -> list[str]:
    breaches = []
    for row in Entry.objects.values("account_id", "account__type", "account__key").annotate(total=Sum("amount")):
        sign = 1 if row["account__type"] in DEBIT_NORMAL else -1
        if int(row["total"] or 0) * sign < 0:
            breaches.append(f"account #{row['account_id']} {row['account__type']} {row['account__key']}: "
                            f"balance {int(row['total']) * sign}")
    return breaches


def _running_balances_agree() -> list[str]:
    rows = (Account.objects.order_by().annotate(derived=Coalesce(Sum("entries__amount"), 0))
            .filter(~Q(balance=F("derived"))).values_list("pk", "type", "key", "balance", "derived")[:50])
    return [f"account #{pk} {type_} {key}: running balance {balance} but its entries sum to {derived}"
            for pk, type_, key, balance, derived in rows]


def _reversals_mirror() -> list[str]:
    breaches = []
    for txn in LedgerTransaction.objects.filter(reverses__isnull=False).prefetch_related("entries", "reverses__entries"):
        assert txn.reverses is not None
        mine = sorted((e.account_id, e.amount) for e in txn.entries.all())
        theirs = sorted((e.account_id, -e.amount) for e in txn.reverses.entries.all())
        if mine != theirs:
            breaches.append(f"reversal #{txn.pk} does not mirror #{txn.reverses_id}")
    return breaches


def _append_only_enforced() -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
    wanted = {name + suffix for name in APPEND_ONLY_TRIGGERS
              for suffix in (("",) if connection.vendor == "postgresql" else ("_update", "_delete"))}
    return [f"database trigger {name} is missing" for name in sorted(wanted - present)]


CORE_CHECKS: dict[str, Check] = {
    "every transaction balances": _balanced,
    "one currency per transaction": _one_currency,
    "no account below zero": _not_negative,
    "running balances equal the sum of entries": _running_balances_agree,
    "reversals mirror their originals": _reversals_mirror,
    "entries are append-only in the database": _append_only_enforced,
}


def run_checks() -> dict[str, list[str]]:
    """Every invariant by name → its breaches."""
    return {name: check() for name, check in {**CORE_CHECKS, **_registered}.items()}
