"""The periodic tasks declared in ``CELERY_BEAT_SCHEDULE``, written into django-celery-beat's tables."""
from __future__ import annotations

from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from marketplace.celery import app


def beat_schedule_sync() -> list[PeriodicTask]:
    """Create or update one ``PeriodicTask`` per declared entry (same name → updated in place). Idempotent.

    A task an operator disabled in the admin stays disabled; its timing follows the code.
    """
    rows = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        enabled = PeriodicTask.objects.filter(name=name).values_list("enabled", flat=True).first()
        model_entry = ModelEntry.from_entry(name, app=app, **entry)
        row = model_entry.model
        if enabled is False and row.enabled:
            row.enabled = False
            row.save(update_fields=["enabled"])
        rows.append(row)
    return rows
