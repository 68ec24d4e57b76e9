"""Reading the ledger: balances in each account's normal direction (the running balance that every posting moves;
``ledger_check`` proves it equals the sum of entries), statements of entries, totals per type."""
from __future__ import annotations

from django.db.models import Count, QuerySet, Sum

from escrow.ledger.models import DEBIT_NORMAL, Account, Entry
from marketplace.kernel.money import Money


def account_balance(account: Account) -> Money:
    """The balance in the account's normal direction (assets: debits − credits; the rest: credits − debits)."""
    total = Account.objects.filter(pk=account.pk).values_list("balance", flat=True).first() or 0
    return Money(int(total) * account.sign, account.currency)


def balance_of(type: str, key: str, currency: str) -> Money:
    account = Account.objects.filter(type=type, key=key, currency=currency).first()
    return account_balance(account) if account else Money(0, currency)


def account_entries(accounts: QuerySet[Account]) -> QuerySet[Entry]:
    """Every entry of these accounts, oldest first, with its transaction."""
    return (Entry.objects.filter(account__in=accounts).select_related("transaction", "account")
            .order_by("transaction__created_at", "transaction_id", "pk"))


def totals_by_type() -> list[dict]:
    """Per account type and currency: the number of accounts and the sum of their normal balances."""
    rows = Account.objects.order_by().values("type", "currency").annotate(total=Sum("balance"), accounts=Count("pk"))
    result = []
    for row in rows:
        sign = 1 if row["type"] in DEBIT_NORMAL else -1
        result.append({"type": row["type"], "currency": row["currency"], "accounts": row["accounts"],
                       "balance": Money(int(row["total"] or 0) * sign, row["currency"])})
    return sorted(result, key=lambda r: (r["currency"], r["type"]))
