"""Posting to the ledger: one balanced transaction at a time, checked before anything is written.

``transaction_post`` refuses (``RuleBroken``, nothing written) a transaction with fewer than two lines, a zero or
non-integer amount, an account in another currency, lines that do not sum to zero, a reused reference, or one
that would take an account below zero in its normal direction. The accounts a posting lowers are locked
(``SELECT … FOR UPDATE``, in id order so writers never deadlock) before their balances are summed, so two
writers cannot both spend the same balance. Mistakes are corrected by ``transaction_reverse``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Sum

from escrow.ledger.models import Account, AccountType, Entry, LedgerTransaction
from marketplace.kernel.money import MINOR_UNITS
from marketplace.kernel.statemachine import RuleBroken, Rules

EXCHANGE = "exchange"


@dataclass(frozen=True)
class Line:
    """One intended entry: positive ``amount`` debits ``account``, negative credits it."""

    account: Account
    amount: int


def account_for(type: str, key: str, currency: str, name: str = "") -> Account:
    """The account of that type, owner and currency (created on first use)."""
    if currency not in MINOR_UNITS:
        raise RuleBroken([("currency", "unsupported_currency", f"不支持的币种 {currency!r} / unsupported currency")])
    if type not in AccountType.values:
        raise RuleBroken([("type", "invalid_choice", f"未知账户类型 {type!r} / unknown account type")])
    account = Account.objects.filter(type=type, key=key, currency=currency).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(type=type, key=key, currency=currency, name=name)
    except IntegrityError:  # another writer created it first
        return Account.objects.get(type=type, key=key, currency=currency)


def _check_lines(rules: Rules, lines: Sequence[Line], currency: str) -> None:
    if currency not in MINOR_UNITS:
        rules.add("currency", "unsupported_currency", f"不支持的币种 {currency!r} / unsupported currency")
    if len(lines) < 2:
        rules.add("entries", "too_few_entries", "一笔凭证至少两条分录 / a transaction has at least two entries")
    for line in lines:
        if isinstance(line.amount, bool) or not isinstance(line.amount, int):
            rules.add("entries", "amount_not_integer", "金额须为最小单位的整数 / amounts are integers of minor units")
            return
        if line.amount == 0:
            rules.add("entries", "zero_entry", "分录金额不能为零 / an entry is never zero")
        if line.account.currency != currency:
            rules.add("entries", "currency_mismatch",
                      f"账户 {line.account} 的币种不是 {currency} / account currency differs from the transaction's")
    if not rules.violations and sum(line.amount for line in lines) != 0:
        rules.add("entries", "unbalanced",
                  f"借贷不平衡（差额 {sum(line.amount for line in lines)}）/ debits and credits do not balance")


def balances(account_ids: Sequence[int]) -> dict[int, int]:
    """Debits minus credits of each account, from its entries."""
    rows = Entry.objects.filter(account_id__in=account_ids).values("account_id").annotate(total=Sum("amount"))
    found = {row["account_id"]: int(row["total"] or 0) for row in rows}
    return {pk: found.get(pk, 0) for pk in account_ids}


@transaction.atomic
def transaction_post(
    *, kind: str, lines: Sequence[Line], currency: str, memo: str = "", reference: str | None = None,
    subject: str = "", by: User | None = None, reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction, or nothing (see the module docstring for every refusal)."""
    rules = Rules()
    _check_lines(rules, lines, currency)
    rules.raise_if_any()
    if reference and LedgerTransaction.objects.filter(reference=reference).exists():
        raise RuleBroken([("reference", "reference_reused", f"参考号 {reference} 已入账 / reference already posted")])
    net: dict[int, int] = {}
    accounts: dict[int, Account] = {}
    for line in lines:
        net[line.account.pk] = net.get(line.account.pk, 0) + line.amount
        accounts[line.account.pk] = line.account
    lowered = sorted(pk for pk, amount in net.items() if amount * accounts[pk].sign < 0)
    if lowered:
        list(Account.objects.select_for_update().filter(pk__in=lowered).order_by("pk").values_list("pk", flat=True))
        current = balances(lowered)
        for pk in lowered:
            after = (current[pk] + net[pk]) * accounts[pk].sign
            if after < 0:
                rules.add("entries", "account_would_go_negative",
                          f"账户 {accounts[pk]} 余额不足（将为 {after}）/ the account would go negative")
        rules.raise_if_any()
    values = dict(kind=kind, currency=currency, memo=memo[:300], reference=reference or None, subject=subject, by=by,
                  reverses=reverses)
    if reference or reverses is not None:  # a concurrent writer may take the same reference: refuse it by name
        try:
            with transaction.atomic():
                txn = LedgerTransaction.objects.create(**values)
        except IntegrityError:
            raise RuleBroken([("reference", "reference_reused", f"参考号 {reference} 已入账 / reference already posted")])
    else:
        txn = LedgerTransaction.objects.create(**values)
    Entry.objects.bulk_create([Entry(transaction=txn, account=line.account, amount=line.amount) for line in lines])
    return txn


@transaction.atomic
def transaction_reverse(*, txn: LedgerTransaction, by: User | None, memo: str) -> LedgerTransaction:
    """Cancel a transaction by posting its mirror image (each entry negated); a transaction is reversed once."""
    if not (memo or "").strip():
        raise RuleBroken([("memo", "reason_required", "请填写冲销原因 / a reason is required")])
    if LedgerTransaction.objects.filter(reverses=txn).exists():
        raise RuleBroken([("txn", "already_reversed", f"凭证 #{txn.pk} 已冲销 / already reversed")])
    lines = [Line(e.account, -e.amount) for e in txn.entries.select_related("account")]
    return transaction_post(kind="reversal", lines=lines, currency=txn.currency, memo=memo, subject=txn.subject,
                            by=by, reverses=txn, reference=f"reversal:{txn.pk}")
