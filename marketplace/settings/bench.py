"""The page benchmark's server: production-like (DEBUG off), the site's URLs plus a bare view, on a throw-away var/ copy.

``manage.py bench_pages`` starts uvicorn with this module and ``ZONE_VAR_DIR`` pointing at a temporary copy of the
database and the index, with ``REDIS_URL``, ``DATABASE_URL``, ``ELASTICSEARCH_URL`` and ``CELERY_BROKER_URL``
cleared: the served site's index, cache and broker are never touched. Tasks run eagerly in the bench server with an
in-memory broker (``marketplace.throwaway``), so none is ever published anywhere else.
"""
from .base import *  # noqa: F401,F403

DEBUG = False
ROOT_URLCONF = "marketplace.bench_urls"
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
