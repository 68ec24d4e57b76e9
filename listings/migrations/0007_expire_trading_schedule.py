"""Formerly wrote the trading expiry beat schedule; schedules are now declared in code
(``CELERY_BEAT_SCHEDULE`` in ``marketplace/settings/base.py``, synced by beat and ``manage.py sync_beat_schedule``).
Kept as a no-op so existing installations keep their migration history; their rows carry the same names and
are updated in place."""
from django.db import migrations



class Migration(migrations.Migration):
    dependencies = [
        ("listings", "0006_industry_keywords"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
