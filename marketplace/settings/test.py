"""The test suite: fast hashing, eager Celery unless a test asks for a real worker, isolated files."""
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
_TMP = Path(tempfile.mkdtemp(prefix="zonepatent-test-"))
MEDIA_ROOT = _TMP / "media"
SEARCH_INDEX_PATH = _TMP / "search-index.sqlite3"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = _TMP / "staticfiles"  # WhiteNoise wants the folder to exist; finders serve the files
WHITENOISE_USE_FINDERS = True  # nothing is collected in the suite (tests/platform/test_static.py collects once)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "zonepatent-test"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's shared-cache memory database: with shared cache a reader's table lock makes a
    # writer in another thread (the real Celery worker in the outbox tests) fail at once with "database table
    # is locked" instead of waiting its busy timeout, as it does on a file in production. Nothing is fsynced:
    # the file is thrown away with the run.
    DATABASES["default"]["TEST"] = {"NAME": str(_TMP / "test-db.sqlite3")}  # noqa: F405
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"  # noqa: F405
