"""Settlement's timers on the beat schedule: funding deadlines and inspection windows every 15 minutes,
payouts still to send every 5."""
from django.db import migrations

TASKS = {
    "escrow funding deadlines · 托管付款截止": ("settlement.expire_unfunded", 15),
    "escrow inspection windows · 托管验收期": ("settlement.auto_accept_milestones", 15),
    "escrow payouts to send · 托管出款重试": ("settlement.send_open_payouts", 5),
}


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, minutes) in TASKS.items():
        every, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.update_or_create(name=name, defaults={"task": task, "interval": every, "enabled": True})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=list(TASKS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("settlement", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
