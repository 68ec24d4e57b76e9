"""``manage.py sync_beat_schedule``: write the periodic tasks declared in settings into the beat tables."""
from django.core.management.base import BaseCommand

from marketplace.beat import beat_schedule_sync


class Command(BaseCommand):
    help = "Write CELERY_BEAT_SCHEDULE (declared in code) into django-celery-beat's tables; beat also does this when it starts."

    def handle(self, *args: object, **options: object) -> None:
        for row in beat_schedule_sync():
            when = row.crontab or row.interval
            self.stdout.write(f"{row.name}: {row.task} ({when}){'' if row.enabled else ' [disabled]'}")
