"""``manage.py bench_ledger``: balanced transactions per second on a throw-away Postgres database, with 1 and with
16 concurrent writers, and the anomalies found afterwards (invariant breaches, totals that do not add up).

It creates its own database beside the configured one (``<name>_ledger_bench_<pid>``), migrates only what the
ledger needs, points this process at it, and drops it at the end; it never touches the configured database, the
Celery broker or the search index. Without a Postgres ``DATABASE_URL`` it says so and exits 2.

It prints the machine's load average before and after each run (the machine may be shared) and, as a baseline
measured in the same run, how many bare round trips (``SELECT 1``) one connection makes per second: a posting is
one round trip on Postgres, so that is the ceiling for one writer.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

import psycopg
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, connections

WORKLOAD = "per deal: funding (Dr bank clearing, Cr escrow held) then release (Dr escrow held; Cr seller payable, Cr fee revenue)"


class Command(BaseCommand):
    help = "Benchmark ledger postings on a throw-away Postgres database (1 and 16 writers) and count anomalies."

    def add_arguments(self, parser):
        parser.add_argument("--transactions", type=int, default=4000, help="transactions per run (default 4000)")
        parser.add_argument("--writers", type=int, nargs="+", default=[1, 16])
        parser.add_argument("--no-sync-commit", action="store_true",
                            help="also run with synchronous_commit=off (not durable: shows the cost without the disk flush)")

    def handle(self, *args, **options) -> None:
        db = connections.settings["default"]
        if db["ENGINE"] != "django.db.backends.postgresql":
            self.stderr.write("bench_ledger needs Postgres: set DATABASE_URL=postgres://… (it creates and drops its own "
                              "throw-away database there)")
            sys.exit(2)
        original = db["NAME"]
        bench = f"{original}_ledger_bench_{os.getpid()}"
        dsn: dict[str, Any] = dict(host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432,
                                   user=db.get("USER") or None, password=db.get("PASSWORD") or None, dbname="postgres",
                                   autocommit=True)
        with psycopg.connect(**dsn) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{bench}"')
            admin.execute(f'CREATE DATABASE "{bench}"')
        connection.close()
        db["NAME"] = bench
        del connections["default"]
        try:
            call_command("migrate", "ledger", verbosity=0)
            self._baseline()
            self.stdout.write(f"workload: {WORKLOAD}; synchronous_commit=on (durable)")
            for writers in options["writers"]:
                self._run(writers, options["transactions"])
            if options["no_sync_commit"]:
                connections.close_all()
                with psycopg.connect(**dsn) as admin:
                    admin.execute(f'ALTER DATABASE "{bench}" SET synchronous_commit = off')
                self.stdout.write("synchronous_commit=off (NOT durable; for comparison only)")
                for writers in options["writers"]:
                    self._run(writers, options["transactions"])
        finally:
            connections.close_all()
            db["NAME"] = original
            del connections["default"]
            with psycopg.connect(**dsn) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{bench}" WITH (FORCE)')

    def _load(self) -> str:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())

    def _baseline(self, seconds: float = 1.0) -> None:
        count, started = 0, time.perf_counter()
        with connection.cursor() as cursor:
            while time.perf_counter() - started < seconds:
                cursor.execute("SELECT 1")
                cursor.fetchone()
                count += 1
        self.stdout.write(f"baseline: {count / (time.perf_counter() - started):.0f} round trips/s (SELECT 1, one "
                          f"connection); {self._load()}")

    def _run(self, writers: int, total: int) -> None:
        from escrow.ledger.checks import CORE_CHECKS
        from escrow.ledger.models import AccountType
        from escrow.ledger.selectors import account_balance, balance_of
        from escrow.ledger.services import EXCHANGE, Line, account_for, transaction_post

        run = f"w{writers}-{time.time_ns()}"
        bank = account_for(AccountType.BANK_CLEARING, EXCHANGE, "CNY")
        fee = account_for(AccountType.FEE_REVENUE, EXCHANGE, "CNY")
        bank_before, fee_before = account_balance(bank).amount, account_balance(fee).amount
        deals_per_writer = max(1, total // (2 * writers))
        errors: list[str] = []
        barrier = threading.Barrier(writers + 1)

        def writer(w: int) -> None:
            try:
                seller = account_for(AccountType.SELLER_PAYABLE, f"org:{run}-{w}", "CNY")
                helds = [account_for(AccountType.ESCROW_HELD, f"escrow:{run}-{w}-{i}", "CNY") for i in range(deals_per_writer)]
                barrier.wait()
                for i, held in enumerate(helds):
                    price = 100_000 + i
                    transaction_post(kind="funding", lines=[Line(bank, price), Line(held, -price)], currency="CNY")
                    transaction_post(kind="release", lines=[Line(held, price), Line(seller, -(price - 1_500)),
                                                            Line(fee, -1_500)], currency="CNY")
            except Exception as exc:  # noqa: BLE001 — counted as an anomaly
                errors.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        barrier.wait()
        started = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        done = 2 * deals_per_writer * writers
        anomalies = list(errors)
        for name, check in CORE_CHECKS.items():
            anomalies += [f"{name}: {p}" for p in check()]
        expected_in = sum(100_000 + i for i in range(deals_per_writer)) * writers
        if account_balance(bank).amount - bank_before != expected_in:
            anomalies.append("bank clearing does not equal the money funded")
        if account_balance(fee).amount - fee_before != 1_500 * deals_per_writer * writers:
            anomalies.append("fee revenue does not equal the fees released")
        for w in range(writers):
            for i in range(deals_per_writer):
                if balance_of(AccountType.ESCROW_HELD, f"escrow:{run}-{w}-{i}", "CNY").amount != 0:
                    anomalies.append(f"escrow {w}-{i} still holds money")
        self.stdout.write(f"writers={writers:>2}  transactions={done}  seconds={elapsed:.2f}  "
                          f"tx_per_second={done / elapsed:.0f}  anomalies={len(anomalies)}  ({self._load()})")
        for anomaly in anomalies[:20]:
            self.stdout.write(f"  anomaly: {anomaly}")
