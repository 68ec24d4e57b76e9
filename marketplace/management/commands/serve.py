"""Serve the whole marketplace: one ASGI app (HTTP + WebSocket) under uvicorn, plus a Celery
worker (with the beat scheduler embedded) as a child process that is stopped with the server."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


def _die_with_parent() -> None:
    """Linux: the worker gets SIGTERM if ``serve`` itself is killed without running its clean-up."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Command(BaseCommand):
    help = "Serve HTTP and WebSocket with uvicorn and run a Celery worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-worker", action="store_true", help="do not start the Celery worker")
        parser.add_argument("--reload", action="store_true", help="reload on code changes (development)")

    def handle(self, *args, host: str, port: int, no_worker: bool, reload: bool, **options):
        import uvicorn

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
                log_level=os.environ.get("UVICORN_LOG_LEVEL", "info"),
                lifespan="off",
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
