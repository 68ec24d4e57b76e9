"""``manage.py task_outbox``: what the task outbox still owes (stuck and failed tasks), and making it up by hand."""
from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from marketplace.models import OutboxTask
from marketplace.outbox import outbox_backlog, outbox_republish_due, outbox_retry_failed


class Command(BaseCommand):
    help = (
        "List the tasks still owed (pending, overdue, failed) with their age, publishes and claim; "
        "--republish sends those due now, --retry-failed sends the failed ones again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--republish", action="store_true", help="publish now what is past its lease or held by a dead worker")
        parser.add_argument("--retry-failed", action="store_true", help="owe the failed tasks again and publish them")
        parser.add_argument("--limit", type=int, default=50, help="rows listed (oldest first)")

    def handle(self, *args, republish: bool, retry_failed: bool, limit: int, **options):
        if republish:
            self.stdout.write(f"published again: {outbox_republish_due()}")
        if retry_failed:
            self.stdout.write(f"failed tasks sent again: {outbox_retry_failed()}")
        backlog = outbox_backlog()
        self.stdout.write(
            f"pending {backlog['pending']} · overdue {backlog['overdue']} · failed {backlog['failed']} · "
            f"oldest {backlog['oldest_seconds']} s"
        )
        now = timezone.now()
        for row in OutboxTask.objects.order_by("created_at")[:limit]:
            state = "FAILED" if row.failed_at else ("running" if row.claimed_at else "queued")
            claim = f" claimed by {row.claimed_by} {int((now - row.claimed_at).total_seconds())} s ago" if row.claimed_at else ""
            self.stdout.write(
                f"{row.id} {state:7} {row.task}{row.args} age {int((now - row.created_at).total_seconds())} s, "
                f"published {row.publish_count}×{claim}" + (f" · {row.error[:200]}" if row.error else "")
            )
