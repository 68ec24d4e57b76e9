"""Suite-wide fixtures.

In CI (``CI=true``) Postgres and Redis must be reachable: the run stops with an error instead of
skipping. Locally, tests that need a real service skip with the reason when it is not configured.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED_DATA = Path(settings.SHARED_DATA_DIR)


def _reachable(url: str, default_port: int) -> tuple[bool, str]:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    try:
        with socket.create_connection((host, port), timeout=3):
            return True, f"{host}:{port}"
    except OSError as exc:
        return False, f"{host}:{port} ({exc})"


def pytest_sessionstart(session):
    if not IN_CI:
        return
    problems = []
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        problems.append(f"CI must test on Postgres; DATABASE_URL gives {db['ENGINE']}")
    else:
        ok, where = _reachable(f"postgres://{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}", 5432)
        if not ok:
            problems.append(f"Postgres unreachable at {where}")
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        problems.append("CI must test with Redis; REDIS_URL is not set")
    else:
        ok, where = _reachable(redis_url, 6379)
        if not ok:
            problems.append(f"Redis unreachable at {where}")
    if problems:
        raise pytest.UsageError("CI services missing: " + "; ".join(problems))


@pytest.fixture
def redis_url() -> str:
    """The real Redis; skips locally when REDIS_URL is unset, fails in CI (checked at session start)."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set (CI sets it and requires Redis)")
    return url


@pytest.fixture
def postgres_only(db):
    """For behaviour only Postgres has (row locks); skips on SQLite locally, required in CI."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs Postgres (CI runs with DATABASE_URL=postgres://…)")


@pytest.fixture
def shared_data() -> Path:
    """The real data folder (../shared/data); the suite reads it, never copies it."""
    if not SHARED_DATA.exists():
        if IN_CI:
            pytest.fail(f"{SHARED_DATA} is missing in CI")
        pytest.skip(f"{SHARED_DATA} not present on this machine")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_search_index(settings, tmp_path):
    """Each test gets its own embedded index file."""
    from search import reset_search_backends

    settings.SEARCH_INDEX_PATH = tmp_path / "search-index.sqlite3"
    reset_search_backends()
    yield
    reset_search_backends()


@pytest.fixture(scope="session", autouse=True)
def _end_stray_test_database_sessions(django_db_setup, django_db_blocker):
    """A live-server request thread can end with its Postgres connection still open, which stops the
    test database from being dropped at the end of the run. End such sessions before teardown."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the page cache's generation included): rolled-back rows send no signal."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def write_rate(settings):
    """Set the API write throttle for one test (``write_rate("3/min")``); the class-level rates DRF captured at
    import are put back afterwards, so no other test inherits them."""
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    original = SimpleRateThrottle.THROTTLE_RATES

    def set_rate(rate: str) -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"writes": rate}}
        api_settings.reload()
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES

    yield set_rate
    SimpleRateThrottle.THROTTLE_RATES = original


@pytest.fixture
def broker_publishes(monkeypatch):
    """Tasks as in production (not eager) with every publish to a broker recorded instead of sent: a throw-away run
    must leave this list empty."""
    from kombu.messaging import Producer

    from marketplace.celery import app

    published: list[tuple] = []
    monkeypatch.setattr(Producer, "publish", lambda self, body, *a, **k: published.append((body, k.get("routing_key"))))
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    return published
