"""Periodic tasks are declared in code and written into the beat tables idempotently."""
import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from marketplace.beat import beat_schedule_sync

pytestmark = pytest.mark.django_db


def test_sync_writes_each_task_once_and_keeps_an_operators_pause():
    beat_schedule_sync()
    beat_schedule_sync()
    assert PeriodicTask.objects.filter(name__in=settings.CELERY_BEAT_SCHEDULE).count() == len(settings.CELERY_BEAT_SCHEDULE)
    hourly = PeriodicTask.objects.get(task="listings.run_saved_search_alerts")
    assert hourly.interval.every == 3600 and hourly.interval.period == "seconds"
    nightly = PeriodicTask.objects.get(task="listings.expire_trading")
    assert (nightly.crontab.minute, nightly.crontab.hour) == ("5", "0")

    PeriodicTask.objects.filter(pk=nightly.pk).update(enabled=False)
    beat_schedule_sync()
    assert not PeriodicTask.objects.get(pk=nightly.pk).enabled


def test_no_data_migration_writes_a_schedule():
    from pathlib import Path

    migrations = Path(__file__).resolve().parents[2].glob("*/migrations/*.py")
    assert not [m.name for m in migrations if "PeriodicTask" in m.read_text(encoding="utf-8")]


def test_a_worker_process_finds_every_task_of_the_domains():
    """A fresh process (as the worker starts) registers the domain tasks, not only the eagerly imported ones."""
    import subprocess
    import sys

    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'marketplace.settings.test'); django.setup();"
        "from marketplace.celery import app; app.loader.import_default_modules();"
        "print('\\n'.join(sorted(app.tasks)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in out
    assert "search.index_patents" in out
