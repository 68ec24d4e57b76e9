"""Reading the ledger: balances in each account's normal direction, statements of entries, totals per type."""
from __future__ import annotations

from django.db.models import QuerySet, Sum

from escrow.ledger.models import DEBIT_NORMAL, Account, Entry
from marketplace.kernel.money import Money


def account_balance(account: Account) -> Money:
    """The balance in the account's normal direction (assets: debits − credits; the rest: credits − debits)."""
    total = Entry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"] or 0
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
    rows = Entry.objects.values("account__type", "account__currency").annotate(total=Sum("amount"))
    counts: dict[tuple[str, str], int] = {}
    for type_, currency in Account.objects.values_list("type", "currency"):
        counts[(type_, currency)] = counts.get((type_, currency), 0) + 1
    result = []
    for row in rows:
        sign = 1 if row["account__type"] in DEBIT_NORMAL else -1
        key = (row["account__type"], row["account__currency"])
        result.append({"type": key[0], "currency": key[1], "accounts": counts.get(key, 0),
                       "balance": Money(int(row["total"] or 0) * sign, key[1])})
    return sorted(result, key=lambda r: (r["currency"], r["type"]))
