"""The Celery app. It reads Django settings (``CELERY_*``), so the broker follows ``REDIS_URL``:
Redis when set, kombu's filesystem transport (no server) otherwise."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.local")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
#: the listings app keeps its tasks in its domains (``listings/<domain>/tasks.py``), not in ``listings/tasks.py``
LISTINGS_TASK_PACKAGES = ["listings.catalogue", "listings.trading", "listings.demands", "listings.matching", "listings.deals"]
app.autodiscover_tasks(LISTINGS_TASK_PACKAGES)
