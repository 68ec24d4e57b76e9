"""The platform promises: production refuses to start without secrets and passes check --deploy;
Celery tasks really run asynchronously on a worker, on the serverless filesystem broker and on Redis."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from celery import Celery

ROOT = Path(__file__).resolve().parents[2]


def _manage(args: list[str], env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_secrets(tmp_path):
    result = _manage(["check"], {"DJANGO_SETTINGS_MODULE": "marketplace.settings.production", "ZONE_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    for name in ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOWED_HOSTS"):
        assert name in result.stderr


def test_production_refuses_a_weak_secret(tmp_path):
    result = _manage(
        ["check"],
        {
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
            "DJANGO_SECRET_KEY": "short",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "DJANGO_ALLOWED_HOSTS": "patents.example.cn",
            "ZONE_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_production_passes_check_deploy(tmp_path):
    result = _manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
            "DJANGO_SECRET_KEY": "q8Vt2mL_0xZr9KpW3nYb7cJd5HsF1gAe6uTiXoRlNkMvBwPyQzCjDh4E-s",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "DJANGO_ALLOWED_HOSTS": "patents.example.cn",
            "ZONE_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _run_worker_and_ping(tmp_path: Path, broker_url: str) -> dict:
    results = tmp_path / "results"
    results.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.local",
            "ZONE_VAR_DIR": str(tmp_path / "var"),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_RESULT_BACKEND": f"file://{results}",
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool", "solo", "--loglevel", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        client = Celery("ping-client", broker=broker_url, backend=f"file://{results}", set_as_current=False)
        if broker_url.startswith("filesystem://"):
            folder = str(tmp_path / "var" / "celery-broker" / "out")
            os.makedirs(folder, exist_ok=True)
            client.conf.broker_transport_options = {
                "data_folder_in": folder, "data_folder_out": folder,
                "processed_folder": str(tmp_path / "var" / "celery-broker" / "processed"),
                "control_folder": str(tmp_path / "var" / "celery-broker" / "control"),
            }
        result = client.send_task("marketplace.ping")
        # The caller returns at once: the task is queued, not run in this process.
        assert result.state == "PENDING"
        return result.get(timeout=60)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_celery_worker_runs_tasks_on_the_filesystem_broker(tmp_path):
    assert _run_worker_and_ping(tmp_path, "filesystem://") ["pong"] is True


def test_celery_worker_runs_tasks_on_redis(tmp_path, redis_url):
    assert _run_worker_and_ping(tmp_path, redis_url)["pong"] is True
