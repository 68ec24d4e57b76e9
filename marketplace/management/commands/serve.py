"""Serve the whole marketplace: one ASGI app (HTTP + WebSocket) under uvicorn, plus a Celery
worker (with the beat scheduler embedded) as a child process that is stopped with the server."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _die_with_parent() -> None:
    """Linux: the worker gets SIGTERM if ``serve`` itself is killed without running its clean-up."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def shared_channel_layer() -> bool:
    """True when every process sees the same channel layer (Redis), so WebSocket groups span workers."""
    return "channels_redis" in str(settings.CHANNEL_LAYERS["default"]["BACKEND"])


def web_workers(requested: int | None) -> tuple[int, str]:
    """How many uvicorn processes, and why.

    The embedded default stays at one: the in-memory channel layer lives inside one process, so a notification
    sent from a request in one worker would never reach a socket held by another, and SQLite serialises writers
    anyway. With Redis the layer is shared and each core gets a worker.
    """
    if not shared_channel_layer():
        if requested and requested > 1:
            raise CommandError("more than one web worker needs the Redis channel layer (set REDIS_URL)")
        return 1, "the in-memory channel layer lives in one process; set REDIS_URL for more"
    if requested:
        return requested, "--workers"
    if os.environ.get("WEB_CONCURRENCY"):
        return int(os.environ["WEB_CONCURRENCY"]), "WEB_CONCURRENCY"
    return max(1, os.cpu_count() or 1), "one per core (Redis channel layer)"


def _prepare_metrics_dir() -> None:
    """Prometheus counters are kept per process in files so that /metrics adds up every web and Celery worker."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(settings.VAR_DIR / "prometheus")
    shutil.rmtree(directory, ignore_errors=True)  # a new server starts its counters at zero
    os.makedirs(directory, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory


class Command(BaseCommand):
    help = "Serve HTTP and WebSocket with uvicorn and run a Celery worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-worker", action="store_true", help="do not start the Celery worker")
        parser.add_argument("--reload", action="store_true", help="reload on code changes (development)")
        parser.add_argument(
            "--workers", type=int, default=None,
            help="web worker processes (default: WEB_CONCURRENCY, else one per core with Redis, one when embedded)",
        )

    def handle(self, *args, host: str, port: int, no_worker: bool, reload: bool, workers: int | None, **options):
        import uvicorn

        workers, why = web_workers(workers)
        if not os.environ.get("SITE_URL") and not os.environ.get("WAGTAILADMIN_BASE_URL"):
            # e-mail links name the address this server listens on; the worker and web processes inherit it
            public_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
            os.environ["SITE_URL"] = f"http://{public_host}:{port}"
            settings.SITE_URL = settings.WAGTAILADMIN_BASE_URL = os.environ["SITE_URL"]
        _prepare_metrics_dir()
        worker = None if no_worker else self._start_worker()
        broker = settings.CELERY_BROKER_URL.split("://", 1)[0]
        self.stdout.write(
            self.style.SUCCESS(f"专利展示交易网 serving on http://{host}:{port}/  (WebSocket on the same port)")
        )
        self.stdout.write(
            f"  database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} · "
            f"channel layer: {str(settings.CHANNEL_LAYERS['default']['BACKEND']).rsplit('.', 1)[-1]} · "
            f"search: {settings.SEARCH_BACKEND.rsplit('.', 1)[-1]} · celery broker: {broker}"
            + ("" if worker else " (worker not started)")
        )
        self.stdout.write(f"  web workers: {workers} ({why})")
        password_file = settings.VAR_DIR / "operator-password.txt"
        if password_file.exists():
            self.stdout.write(
                f"  运营账号 operator login: http://{host}:{port}/accounts/login/ · user 'operator' · "
                f"password in {password_file}"
            )
        try:
            uvicorn.run(
                "marketplace.asgi:application",
                host=host,
                port=port,
                reload=reload,
                workers=None if reload else workers,
                log_level=os.environ.get("UVICORN_LOG_LEVEL", "info"),
                lifespan="off",
                # the sockets carry small JSON frames: compressing each costs more CPU than the bytes it saves
                # (the deal-room benchmark, docs/benchmarks.md)
                ws_per_message_deflate=False,
            )
        finally:
            if worker is not None:
                self._stop_worker(worker)

    def _start_worker(self) -> subprocess.Popen:
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", os.environ.get("DJANGO_SETTINGS_MODULE", "marketplace.settings.local"))
        command = [
            # A thread pool with beat as a thread: one process that stops cleanly on SIGTERM (prefork's
            # embedded beat child outlives a warm shutdown). The tasks wait on SQLite and the index far
            # more than they compute, and the embedded engine keeps one connection per thread.
            sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--beat",
            "--pool", "threads",
            "--loglevel", os.environ.get("CELERY_LOG_LEVEL", "info"),
            "--concurrency", os.environ.get("CELERY_CONCURRENCY", "4"),
            "--schedule", str(settings.VAR_DIR / "celerybeat-schedule"),
        ]
        self.stdout.write(f"  starting Celery worker: {' '.join(command[2:])}")
        return subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_die_with_parent)

    def _stop_worker(self, worker: subprocess.Popen) -> None:
        if worker.poll() is not None:
            return
        try:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
