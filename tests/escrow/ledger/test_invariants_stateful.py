"""A hypothesis state machine drives random ledger operations (postings, overdrafts, unbalanced attempts,
reversals) and checks every invariant after each step, against a model of the expected balances."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from escrow.ledger.checks import CORE_CHECKS
from escrow.ledger.models import AccountType, LedgerTransaction
from escrow.ledger.selectors import account_balance
from escrow.ledger.services import EXCHANGE, Line, account_for, transaction_post, transaction_reverse
from marketplace.kernel.statemachine import RuleBroken

TYPES = [AccountType.BANK_CLEARING, AccountType.ESCROW_HELD, AccountType.SELLER_PAYABLE, AccountType.FEE_REVENUE,
         AccountType.REFUNDS_PAYABLE]


class LedgerMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.accounts = [account_for(t, EXCHANGE if t in (AccountType.BANK_CLEARING, AccountType.FEE_REVENUE) else f"k{i}", "CNY")
                         for i, t in enumerate(TYPES)]
        self.expected = {a.pk: account_balance(a).amount for a in self.accounts}
        self.posted: list[int] = []

    @rule(src=st.integers(0, 4), dst=st.integers(0, 4), amount=st.integers(1, 10_000))
    def move(self, src, dst, amount):
        """Debit ``dst``, credit ``src``: allowed only when neither ends below zero."""
        if src == dst:
            return
        a, b = self.accounts[dst], self.accounts[src]
        after_a = self.expected[a.pk] + amount * a.sign
        after_b = self.expected[b.pk] - amount * b.sign
        try:
            txn = transaction_post(kind="move", lines=[Line(a, amount), Line(b, -amount)], currency="CNY")
        except RuleBroken as exc:
            assert exc.rules == ["account_would_go_negative"]
            assert after_a < 0 or after_b < 0
            return
        assert after_a >= 0 and after_b >= 0
        self.expected[a.pk], self.expected[b.pk] = after_a, after_b
        self.posted.append(txn.pk)

    @rule(amount=st.integers(1, 10_000), off=st.integers(1, 5))
    def unbalanced(self, amount, off):
        with pytest.raises(RuleBroken):
            transaction_post(kind="bad", lines=[Line(self.accounts[0], amount), Line(self.accounts[1], -amount + off)],
                             currency="CNY")

    @rule(pick=st.integers(0, 1_000))
    def reverse(self, pick):
        if not self.posted:
            return
        txn = LedgerTransaction.objects.get(pk=self.posted.pop(pick % len(self.posted)))
        effect = {e.account_id: e.amount for e in txn.entries.all()}
        try:
            transaction_reverse(txn=txn, by=None, memo="hypothesis")
        except RuleBroken as exc:
            assert exc.rules == ["account_would_go_negative"]
            return
        for a in self.accounts:
            self.expected[a.pk] -= effect.get(a.pk, 0) * a.sign

    @invariant()
    def ledger_holds(self):
        if not hasattr(self, "accounts"):
            return
        assert {a.pk: account_balance(a).amount for a in self.accounts} == self.expected
        assert {name: check() for name, check in CORE_CHECKS.items()} == {name: [] for name in CORE_CHECKS}


@pytest.mark.django_db
def test_random_operations_keep_every_invariant():
    # seed the clearing account so money can flow; each example runs in a savepoint rolled back afterwards
    from django.db import transaction

    class Machine(LedgerMachine):
        pass

    runner = Machine.TestCase
    runner.settings = settings(max_examples=25, stateful_step_count=25, deadline=None,
                               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

    original_setup = Machine.setup

    def setup(self):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        original_setup(self)
        bank, held = self.accounts[0], self.accounts[1]
        transaction_post(kind="seed", lines=[Line(bank, 50_000), Line(held, -50_000)], currency="CNY")
        self.expected[bank.pk] += 50_000
        self.expected[held.pk] += 50_000

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    Machine.setup = initialize()(setup)
    Machine.teardown = teardown
    runner().runTest()
