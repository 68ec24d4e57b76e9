"""Throw-away runs (benchmarks, checks on a copy): their Celery tasks run eagerly in this process against their own
search index; nothing is published to the configured broker and nothing reaches the live index.

Why: a benchmark that creates and deletes patents in its own database queues index tasks for their ids. Sent to
the configured broker, the site's worker applied them to the live index (deleting real patents from it). Inside
``throwaway_side_effects`` the Celery app runs every task eagerly, its broker is an in-memory one (so even a
``send_task`` stays in this process), and search uses the embedded engine at ``index_path``. Everything is put
back on exit.

Tasks declared with ``shared_task`` (all of ours) run on Celery's *current* app, which is whichever ``Celery(...)``
was created last unless told otherwise. The block makes the project's app current, so a client app created
elsewhere in the process (a test's, a script's) cannot carry the tasks back to a real broker.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings

ISOLATED_BROKER_URL = "memory://"
EMBEDDED_ENGINE = "search.backends.embedded"
_SETTINGS = ("SEARCH_BACKEND", "SEARCH_INDEX_PATH", "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")
_CONF = ("task_always_eager", "task_eager_propagates", "broker_url")


def _forget_connections(app: Any) -> None:
    """Drop the app's references to its broker connection and producer pools, so the next one follows
    ``broker_url``. The pools themselves are kombu's, shared per broker URL, and stay open for their next user."""
    if getattr(app, "_pool", None) is not None:
        app._pool = None
    amqp = app.__dict__.get("amqp")  # a cached property, present once used
    if amqp is not None and getattr(amqp, "_producer_pool", None) is not None:
        amqp._producer_pool = None


@contextmanager
def throwaway_side_effects(*, index_path: Path) -> Iterator[None]:
    """Within the block: tasks eager, broker in memory, search on the embedded engine at ``index_path``."""
    from celery import _state

    from marketplace.celery import app

    saved_current = _state.get_current_app()
    saved_settings = {name: getattr(settings, name, None) for name in _SETTINGS}
    saved_conf = {name: app.conf.get(name) for name in _CONF}
    try:
        settings.SEARCH_BACKEND = EMBEDDED_ENGINE
        settings.SEARCH_INDEX_PATH = Path(index_path)
        settings.CELERY_TASK_ALWAYS_EAGER = True
        settings.CELERY_BROKER_URL = ISOLATED_BROKER_URL
        app.conf.update(task_always_eager=True, task_eager_propagates=True, broker_url=ISOLATED_BROKER_URL)
        _forget_connections(app)
        app.set_current()
        yield
    finally:
        saved_current.set_current()
        for name, value in saved_settings.items():
            setattr(settings, name, value)
        app.conf.update(**saved_conf)
        _forget_connections(app)


def throwaway_server_environment(environ: dict[str, str], *, var_dir: Path) -> dict[str, str]:
    """The environment of a server started on a throw-away ``var/`` copy: no configured database, cache, broker,
    search engine or error reporting; tasks run eagerly inside it, with an in-memory broker."""
    cleared = ("REDIS_URL", "DATABASE_URL", "ELASTICSEARCH_URL", "CELERY_BROKER_URL", "CACHE_URL", "SENTRY_DSN",
               "SEARCH_INDEX_PATH", "SEARCH_BACKEND", "CELERY_RESULT_BACKEND")
    env = {key: value for key, value in environ.items() if key not in cleared}
    env.update({
        "ZONE_VAR_DIR": str(var_dir),
        "CELERY_BROKER_URL": ISOLATED_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "true",
    })
    return env
