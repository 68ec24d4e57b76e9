"""Posting to the ledger: one balanced transaction at a time, checked before anything is written.

``transaction_post`` refuses (``RuleBroken``, nothing written) a transaction with fewer than two lines, a zero or
non-integer amount, an account in another currency, lines that do not sum to zero — all in Python, before the
database is asked — and, in the database, a reused reference or a posting that would take an account below zero in
its normal direction. Mistakes are corrected by ``transaction_reverse``.

How a posting stays correct under concurrency: it locks every account it touches (``FOR UPDATE``, in id order, so
writers never deadlock), writes the transaction and its entries, and moves each account's running balance
(``Account.balance``) by the net of its lines, all in one database transaction. The ``ledger_account_not_negative``
check constraint refuses a balance below zero on the row version that the lock made current, so two writers can
never both spend the same money. On Postgres the whole posting is one SQL statement (one round trip, and when no
transaction is open, its own atomic commit); elsewhere (SQLite) the same steps run as a few ORM statements.
Balances stay derivable from entries: ``ledger_check`` verifies that every running balance equals its entries' sum.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from escrow.ledger.models import Account, AccountType, Entry, LedgerTransaction
from marketplace.kernel.money import MINOR_UNITS
from marketplace.kernel.statemachine import RuleBroken, Rules

EXCHANGE = "exchange"
NOT_NEGATIVE = "ledger_account_not_negative"

#: (type, owner key, currency) or (type, owner key, currency, name for a new account)
AccountKey = tuple[str, str, str] | tuple[str, str, str, str]


@dataclass(frozen=True)
class Line:
    """One intended entry: positive ``amount`` debits ``account``, negative credits it."""

    account: Account
    amount: int


def accounts_for(keys: Sequence[AccountKey]) -> list[Account]:
    """The accounts for these keys, in order, read in one query (those missing are created first, once)."""
    rules = Rules()
    for key in keys:
        if key[2] not in MINOR_UNITS:
            rules.add("currency", "unsupported_currency", f"不支持的币种 {key[2]!r} / unsupported currency")
        if key[0] not in AccountType.values:
            rules.add("type", "invalid_choice", f"未知账户类型 {key[0]!r} / unknown account type")
    rules.raise_if_any()
    wanted = {(k[0], k[1], k[2]): (k[3] if len(k) > 3 else "") for k in keys}  # type: ignore[misc]

    def read() -> dict[tuple[str, str, str], Account]:
        match = Q(pk__in=[])
        for type_, owner, currency in wanted:
            match |= Q(type=type_, key=owner, currency=currency)
        return {(a.type, a.key, a.currency): a for a in Account.objects.filter(match)}

    found = read()
    missing = [k for k in wanted if k not in found]
    if missing:  # ON CONFLICT DO NOTHING: a writer creating the same account at once is no error
        Account.objects.bulk_create([Account(type=t, key=o, currency=c, name=wanted[(t, o, c)]) for t, o, c in missing],
                                    ignore_conflicts=True)
        found = read()
    return [found[(k[0], k[1], k[2])] for k in keys]


def account_for(type: str, key: str, currency: str, name: str = "") -> Account:
    """The account of that type, owner and currency (created on first use). Several at once: ``accounts_for``."""
    return accounts_for([(type, key, currency, name)])[0]


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


def derived_balances(account_ids: Sequence[int]) -> dict[int, int]:
    """Debits minus credits of each account, summed from its entries (what the running balance must equal)."""
    rows = (Entry.objects.filter(account_id__in=account_ids).order_by().values("account_id")
            .annotate(total=Sum("amount")))
    found = {row["account_id"]: int(row["total"] or 0) for row in rows}
    return {pk: found.get(pk, 0) for pk in account_ids}


#: the whole posting in one statement: lock every account in id order, write the transaction (nothing on a reused
#: reference or reversal), its entries, and move the running balances (the check constraint refuses an overdraft)
POSTGRES_POST = """
WITH line(account_id, amount, position) AS (
    SELECT * FROM unnest(%(accounts)s::bigint[], %(amounts)s::bigint[]) WITH ORDINALITY
), locked AS MATERIALIZED (
    SELECT id FROM ledger_account WHERE id = ANY(%(ids)s::bigint[]) ORDER BY id FOR UPDATE
), txn AS (
    INSERT INTO ledger_ledgertransaction (kind, currency, memo, reference, subject, reverses_id, by_id, created_at)
    SELECT %(kind)s, %(currency)s, %(memo)s, %(reference)s, %(subject)s, %(reverses_id)s, %(by_id)s, %(created_at)s
    WHERE (SELECT count(*) FROM locked) = %(n_accounts)s
    ON CONFLICT DO NOTHING
    RETURNING id
), entry AS (
    INSERT INTO ledger_entry (transaction_id, account_id, amount)
    SELECT txn.id, line.account_id, line.amount FROM txn CROSS JOIN line ORDER BY line.position
), moved AS (
    UPDATE ledger_account AS a SET balance = a.balance + net.delta
    FROM (SELECT account_id, SUM(amount)::bigint AS delta FROM line GROUP BY account_id HAVING SUM(amount) <> 0) AS net,
         txn
    WHERE a.id = net.account_id
)
SELECT (SELECT id FROM txn), (SELECT count(*) FROM locked)
"""


def _post_postgres(values: dict, lines: Sequence[Line], net: dict[int, int]) -> tuple[int | None, int]:
    params = dict(values, accounts=[line.account.pk for line in lines], amounts=[line.amount for line in lines],
                  ids=sorted(net), n_accounts=len(net))
    with connection.cursor() as cursor:
        cursor.execute(POSTGRES_POST, params)
        txn_id, locked = cursor.fetchone()
    return txn_id, locked


def _post_portable(values: dict, lines: Sequence[Line], net: dict[int, int]) -> tuple[int | None, int]:
    locked = list(Account.objects.select_for_update().filter(pk__in=sorted(net)).order_by("pk").values_list("pk", flat=True))
    if len(locked) != len(net):
        return None, len(locked)
    if values["reference"] and LedgerTransaction.objects.filter(reference=values["reference"]).exists():
        return None, len(locked)
    txn = LedgerTransaction.objects.create(**values)
    Entry.objects.bulk_create([Entry(transaction=txn, account_id=line.account.pk, amount=line.amount) for line in lines])
    for pk in sorted(net):
        if net[pk]:
            Account.objects.filter(pk=pk).update(balance=F("balance") + net[pk])
    return txn.pk, len(locked)


def _overdraft(accounts: dict[int, Account], net: dict[int, int]) -> RuleBroken:
    """Name the accounts the refused posting would have taken below zero (read again after the refusal)."""
    lowered = [pk for pk in sorted(net) if net[pk] * accounts[pk].sign < 0]
    now = dict(Account.objects.filter(pk__in=lowered).values_list("pk", "balance"))
    short = [pk for pk in lowered if (now.get(pk, 0) + net[pk]) * accounts[pk].sign < 0] or lowered
    return RuleBroken([("entries", "account_would_go_negative",
                        f"账户 {accounts[pk]} 余额不足（将为 {(now.get(pk, 0) + net[pk]) * accounts[pk].sign}）"
                        f"/ the account would go negative") for pk in short])


def transaction_post(
    *, kind: str, lines: Sequence[Line], currency: str, memo: str = "", reference: str | None = None,
    subject: str = "", by: User | None = None, reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction, or nothing (see the module docstring for every refusal).

    Inside the caller's transaction it runs in a savepoint, so a refusal leaves that transaction usable."""
    rules = Rules()
    _check_lines(rules, lines, currency)
    rules.raise_if_any()
    net: dict[int, int] = {}
    accounts: dict[int, Account] = {}
    for line in lines:
        net[line.account.pk] = net.get(line.account.pk, 0) + line.amount
        accounts[line.account.pk] = line.account
    values = dict(kind=kind, currency=currency, memo=memo[:300], reference=reference or None, subject=subject,
                  by_id=by.pk if by is not None else None, reverses_id=reverses.pk if reverses is not None else None,
                  created_at=timezone.now())
    one_statement = connection.vendor == "postgresql"
    post = _post_postgres if one_statement else _post_portable
    try:
        if one_statement and connection.get_autocommit() and not connection.in_atomic_block:
            txn_id, locked = post(values, lines, net)  # one statement is its own atomic transaction
        else:
            with transaction.atomic():
                txn_id, locked = post(values, lines, net)
    except IntegrityError as exc:
        if NOT_NEGATIVE in str(exc):
            raise _overdraft(accounts, net) from exc
        if "ledgertransaction" in str(exc):  # the portable path racing another writer for a reference
            txn_id, locked = None, len(net)
        else:
            raise
    if locked != len(net):
        raise RuleBroken([("entries", "unknown_account", "分录指向不存在的账户 / an entry names an account that does not exist")])
    if txn_id is None:
        raise RuleBroken([("reference", "reference_reused", f"参考号 {reference} 已入账 / reference already posted")])
    txn = LedgerTransaction(pk=txn_id, **values)
    txn._state.adding, txn._state.db = False, connection.alias
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
