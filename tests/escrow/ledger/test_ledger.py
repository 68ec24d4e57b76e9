"""The ledger: balanced or nothing, no account below zero, append-only in the database, reversals, running balances
that ledger_check compares with the entries, accounts read in one query, one statement per posting on Postgres."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, transaction

from escrow.ledger.checks import CORE_CHECKS
from escrow.ledger.models import Account, AccountType, Entry, LedgerTransaction
from escrow.ledger.selectors import account_balance
from escrow.ledger.services import (
    EXCHANGE,
    Line,
    account_for,
    accounts_for,
    derived_balances,
    transaction_post,
    transaction_reverse,
)
from marketplace.kernel.statemachine import RuleBroken


@pytest.fixture
def accounts(db):
    return (account_for(AccountType.BANK_CLEARING, EXCHANGE, "CNY"), account_for(AccountType.ESCROW_HELD, "escrow:1", "CNY"),
            account_for(AccountType.ESCROW_HELD, "escrow:1", "USD"))


def counts():
    return LedgerTransaction.objects.count(), Entry.objects.count()


@pytest.mark.parametrize("lines, rule", [
    (lambda b, h, u: [Line(b, 100), Line(h, -99)], "unbalanced"),
    (lambda b, h, u: [Line(b, 100)], "too_few_entries"),
    (lambda b, h, u: [Line(b, 0), Line(h, 0)], "zero_entry"),
    (lambda b, h, u: [Line(b, 1.5), Line(h, -1.5)], "amount_not_integer"),
    (lambda b, h, u: [Line(b, 100), Line(u, -100)], "currency_mismatch"),
    (lambda b, h, u: [Line(b, -100), Line(h, 100)], "account_would_go_negative"),
])
def test_a_bad_transaction_is_refused_before_anything_is_written(accounts, lines, rule):
    with pytest.raises(RuleBroken) as err:
        transaction_post(kind="test", lines=lines(*accounts), currency="CNY")
    assert rule in err.value.rules
    assert counts() == (0, 0)


def test_balances_are_derived_and_a_reference_posts_once(accounts):
    bank, held, _ = accounts
    transaction_post(kind="funding", lines=[Line(bank, 500), Line(held, -500)], currency="CNY", reference="r1")
    with pytest.raises(RuleBroken) as err:
        transaction_post(kind="funding", lines=[Line(bank, 500), Line(held, -500)], currency="CNY", reference="r1")
    assert err.value.rules == ["reference_reused"]
    assert account_balance(bank).amount == 500 and account_balance(held).amount == 500


def test_entries_are_append_only_in_the_database_and_corrected_by_reversal(accounts):
    bank, held, _ = accounts
    txn = transaction_post(kind="funding", lines=[Line(bank, 500), Line(held, -500)], currency="CNY")
    for attempt in (lambda: Entry.objects.filter(transaction=txn).update(amount=1),
                    lambda: Entry.objects.filter(transaction=txn).delete(),
                    lambda: LedgerTransaction.objects.filter(pk=txn.pk).update(memo="edited")):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    reversal = transaction_reverse(txn=txn, by=None, memo="录入错误 / keyed in error")
    assert sorted(reversal.entries.values_list("amount", flat=True)) == [-500, 500]
    assert account_balance(bank).amount == account_balance(held).amount == 0
    with pytest.raises(RuleBroken) as err:
        transaction_reverse(txn=txn, by=None, memo="again")
    assert err.value.rules == ["already_reversed"]
    call_command("ledger_check")


def test_ledger_check_exits_non_zero_on_a_breach(accounts, capsys):
    bank, held, _ = accounts
    txn = transaction_post(kind="funding", lines=[Line(bank, 500), Line(held, -500)], currency="CNY")
    # a balanced transaction written around the service that overdraws the escrow (the service would refuse it)
    forged = LedgerTransaction.objects.create(kind="forged", currency="CNY")
    Entry.objects.bulk_create([Entry(transaction=forged, account=held, amount=700), Entry(transaction=forged, account=bank, amount=-700)])
    assert txn.pk
    with pytest.raises(SystemExit) as exit_:
        call_command("ledger_check")
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "BREACH no account below zero" in out and "bank_clearing" in out


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_an_unbalanced_transaction_at_commit(postgres_only):
    bank = account_for(AccountType.BANK_CLEARING, EXCHANGE, "CNY")
    held = account_for(AccountType.ESCROW_HELD, "escrow:pg", "CNY")
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        txn = LedgerTransaction.objects.create(kind="forged", currency="CNY")
        Entry.objects.bulk_create([Entry(transaction=txn, account=bank, amount=5), Entry(transaction=txn, account=held, amount=-4)])
    assert counts() == (0, 0)


def test_running_balances_follow_the_entries_and_ledger_check_compares_them(accounts, capsys):
    bank, held, _ = accounts
    transaction_post(kind="funding", lines=[Line(bank, 700), Line(held, -700)], currency="CNY")
    transaction_post(kind="release", lines=[Line(held, 200), Line(bank, -200)], currency="CNY")
    assert derived_balances([bank.pk, held.pk]) == {bank.pk: 500, held.pk: -500}
    assert dict(Account.objects.filter(pk__in=[bank.pk, held.pk]).values_list("pk", "balance")) == {bank.pk: 500,
                                                                                                  held.pk: -500}
    assert {name: check() for name, check in CORE_CHECKS.items()} == {name: [] for name in CORE_CHECKS}
    Account.objects.filter(pk=held.pk).update(balance=-400)  # a running balance edited around the service
    with pytest.raises(SystemExit):
        call_command("ledger_check")
    assert "BREACH running balances equal the sum of entries" in capsys.readouterr().out


def test_the_database_refuses_a_running_balance_below_zero(accounts):
    bank, held, _ = accounts
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=held.pk).update(balance=1)  # a credit-normal account with a debit balance


def test_a_refusal_inside_a_transaction_leaves_it_usable(accounts):
    bank, held, _ = accounts
    with transaction.atomic():
        transaction_post(kind="funding", lines=[Line(bank, 100), Line(held, -100)], currency="CNY", reference="r2")
        with pytest.raises(RuleBroken):
            transaction_post(kind="release", lines=[Line(held, 300), Line(bank, -300)], currency="CNY")
        with pytest.raises(RuleBroken):
            transaction_post(kind="funding", lines=[Line(bank, 100), Line(held, -100)], currency="CNY", reference="r2")
        transaction_post(kind="release", lines=[Line(held, 100), Line(bank, -100)], currency="CNY")
    assert counts() == (2, 4)


def test_accounts_are_read_in_one_query(accounts, django_assert_num_queries):
    keys = [(AccountType.BANK_CLEARING, EXCHANGE, "CNY"), (AccountType.ESCROW_HELD, "escrow:1", "CNY"),
            (AccountType.ESCROW_HELD, "escrow:1", "USD"), (AccountType.BANK_CLEARING, EXCHANGE, "CNY")]
    with django_assert_num_queries(1):
        found = accounts_for(keys)
    assert [a.pk for a in found] == [accounts[0].pk, accounts[1].pk, accounts[2].pk, accounts[0].pk]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_posting_on_postgres_is_one_statement(postgres_only, django_assert_num_queries):
    bank = account_for(AccountType.BANK_CLEARING, EXCHANGE, "CNY")
    held = account_for(AccountType.ESCROW_HELD, "escrow:one", "CNY")
    seller = account_for(AccountType.SELLER_PAYABLE, "org:one", "CNY")
    with django_assert_num_queries(1):  # no BEGIN/COMMIT round trips either: the statement is its own transaction
        transaction_post(kind="funding", lines=[Line(bank, 900), Line(held, -900)], currency="CNY")
    with django_assert_num_queries(1):
        transaction_post(kind="release", lines=[Line(held, 900), Line(seller, -800), Line(bank, -100)], currency="CNY")
    assert account_balance(seller).amount == 800 and account_balance(bank).amount == 800
    with pytest.raises(RuleBroken) as err:
        transaction_post(kind="release", lines=[Line(held, 1), Line(seller, -1)], currency="CNY")
    assert err.value.rules == ["account_would_go_negative"]
    assert counts() == (2, 5)
    assert {name: check() for name, check in CORE_CHECKS.items()} == {name: [] for name in CORE_CHECKS}
