"""``manage.py ledger_check``: verify every ledger invariant, print the totals per account type, exit 1 on a breach."""
from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from escrow.ledger.checks import run_checks
from escrow.ledger.selectors import totals_by_type


class Command(BaseCommand):
    help = "Verify the ledger's invariants and print the totals per account type (exit status 1 on any breach)."

    def handle(self, *args, **options) -> None:
        self.stdout.write("account type            currency  accounts  balance")
        for row in totals_by_type():
            self.stdout.write(f"{row['type']:<24}{row['currency']:<10}{row['accounts']:>8}  {row['balance'].amount:>16}")
        breaches = 0
        for name, problems in run_checks().items():
            if problems:
                breaches += len(problems)
                self.stdout.write(self.style.ERROR(f"BREACH {name}: {len(problems)}"))
                for problem in problems:
                    self.stdout.write(f"  - {problem}")
            else:
                self.stdout.write(self.style.SUCCESS(f"ok     {name}"))
        if breaches:
            self.stderr.write(f"ledger_check: {breaches} breach(es)")
            sys.exit(1)
        self.stdout.write("ledger_check: every invariant holds")
