"""Races on real Postgres: 120 threads try to fund, release and refund the same escrow at once; exactly the
allowed ones win (one funding, then one of release/refund), and ledger_check passes. Skips on SQLite locally;
CI runs it on Postgres."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from escrow.ledger.models import LedgerTransaction
from escrow.settlement import selectors, services
from escrow.settlement.models import EscrowStatus
from marketplace.kernel.errors import DomainError
from marketplace.kernel.money import Money

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def race(calls):
    """Run every call at the same moment, each in its own thread and connection; return (wins, refusals)."""
    barrier = threading.Barrier(len(calls))
    wins, refusals, errors = [], [], []

    def run(i, call):
        try:
            barrier.wait()
            call()
            wins.append(i)
        except DomainError as exc:
            refusals.append(exc.code)
        except Exception as exc:  # noqa: BLE001 — anything else is a failure of the test
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return wins, refusals


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_fund_release_refund(postgres_only, single_escrow, demander, holder, operator):
    escrow = single_escrow
    m = escrow.milestones.get()
    ins = services.milestone_funding_open(milestone=m, by=demander, rail="bank")
    wins, refusals = race([
        (lambda i=i: services.bank_receipt_record(reference=ins.reference, amount=Money(45_000_000),
                                                  bank_txn_id=f"RACE{i}", by=operator))
        for i in range(40)
    ])
    assert len(wins) == 1 and len(refusals) == 39
    assert LedgerTransaction.objects.filter(kind="funding").count() == 1
    escrow.refresh_from_db()
    assert escrow.status == EscrowStatus.FUNDED

    services.escrow_release_request(escrow=escrow, by=holder, number="2025-0401-001", date=dt.date(2025, 4, 1),
                                    file=SimpleUploadedFile("notice.pdf", PDF))
    calls = [lambda: services.escrow_release(escrow=escrow, by=operator) for _ in range(40)]
    calls += [lambda: services.escrow_refund(escrow=escrow, by=operator, reason="并发退款") for _ in range(40)]
    wins, refusals = race(calls)
    assert len(wins) == 1 and set(refusals) == {"illegal_transition"} and len(refusals) == 79
    escrow.refresh_from_db()
    assert escrow.status in (EscrowStatus.RELEASED, EscrowStatus.REFUNDED)
    assert selectors.held_amount(escrow) == Money(0)
    assert LedgerTransaction.objects.filter(kind__in=("release", "refund")).count() == 1
    call_command("ledger_check")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_postings_never_overdraw_an_account(postgres_only):
    from escrow.ledger.models import AccountType
    from escrow.ledger.selectors import account_balance
    from escrow.ledger.services import EXCHANGE, Line, account_for, transaction_post

    bank = account_for(AccountType.BANK_CLEARING, EXCHANGE, "CNY")
    held = account_for(AccountType.ESCROW_HELD, "escrow:race", "CNY")
    seller = account_for(AccountType.SELLER_PAYABLE, "org:race", "CNY")
    transaction_post(kind="funding", lines=[Line(bank, 1000), Line(held, -1000)], currency="CNY")
    wins, refusals = race([
        lambda: transaction_post(kind="release", lines=[Line(held, 300), Line(seller, -300)], currency="CNY")
        for _ in range(80)  # 80 threads, each its own connection: below Postgres' 100-connection default
    ])
    assert len(wins) == 3 and set(refusals) == {"account_would_go_negative"}
    assert account_balance(held).amount == 100
    from escrow.ledger.checks import CORE_CHECKS  # the rail checks would flag this bare clearing posting

    assert {name: check() for name, check in CORE_CHECKS.items()} == {name: [] for name in CORE_CHECKS}
