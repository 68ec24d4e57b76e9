"""Throw-away runs never publish to the configured broker nor touch the live index (issue 8, item 4)."""
from __future__ import annotations

import csv
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from marketplace.celery import app
from marketplace.throwaway import throwaway_server_environment, throwaway_side_effects
from search import get_search_backend
from tests.factories import PatentFactory


@pytest.mark.django_db(transaction=True)
def test_inside_a_throwaway_run_tasks_run_here_against_its_own_index(
    settings, tmp_path, broker_publishes, django_capture_on_commit_callbacks
):
    from search.tasks import index_patents

    live = get_search_backend()
    patent = PatentFactory()
    own_index = tmp_path / "own" / "search-index.sqlite3"
    own_index.parent.mkdir()

    # outside: the task goes to the broker (recorded here instead of sent)
    index_patents.delay([patent.pk])
    sent = len(broker_publishes)
    assert sent >= 1

    with throwaway_side_effects(index_path=own_index):
        assert app.conf.task_always_eager and app.conf.broker_url == "memory://"
        assert get_search_backend() is not live
        with django_capture_on_commit_callbacks(execute=True):
            index_patents.delay([patent.pk])
        assert get_search_backend().count() == 1

    assert len(broker_publishes) == sent  # nothing more was published
    assert live.count() == 0 and get_search_backend() is live
    assert app.conf.task_always_eager is False
    assert django_settings.SEARCH_INDEX_PATH == tmp_path / "search-index.sqlite3"


def test_the_page_benchmark_server_gets_no_configured_service_and_runs_tasks_eagerly(tmp_path):
    environ = {
        "REDIS_URL": "redis://127.0.0.1:6379/0", "DATABASE_URL": "postgres://x/y", "CELERY_BROKER_URL": "redis://live",
        "ELASTICSEARCH_URL": "http://es:9200", "SEARCH_INDEX_PATH": "/srv/live.sqlite3", "PATH": "/usr/bin",
    }
    env = throwaway_server_environment(environ, var_dir=tmp_path)
    assert env["CELERY_BROKER_URL"] == "memory://" and env["CELERY_TASK_ALWAYS_EAGER"] == "true"
    assert not {"REDIS_URL", "DATABASE_URL", "ELASTICSEARCH_URL", "SEARCH_INDEX_PATH"} & set(env)
    assert env["ZONE_VAR_DIR"] == str(tmp_path) and env["PATH"] == "/usr/bin"


def test_bench_pages_starts_its_server_with_the_throwaway_environment(tmp_path, monkeypatch):
    from marketplace.management.commands import bench_pages

    started = {}

    class Server:
        def poll(self):
            return None

    def popen(command, env, **kwargs):
        started.update(env)
        return Server()

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setattr(bench_pages.subprocess, "Popen", popen)
    monkeypatch.setattr(bench_pages.urllib.request, "urlopen", lambda *a, **k: type("R", (), {"read": lambda s: b""})())
    command = bench_pages.Command()
    command._start_server(command._server_env(tmp_path, page_cache=True), 1, log=tmp_path / "log")
    assert started["CELERY_BROKER_URL"] == "memory://" and started["CELERY_TASK_ALWAYS_EAGER"] == "true"
    assert "REDIS_URL" not in started and started["DJANGO_SETTINGS_MODULE"] == "marketplace.settings.bench"


def test_the_bench_settings_run_tasks_eagerly_on_an_in_memory_broker(tmp_path):
    code = (
        "import django; django.setup(); from marketplace.celery import app; "
        "print(app.conf.task_always_eager, app.conf.broker_url)"
    )
    env = throwaway_server_environment({"PATH": "/usr/bin:/bin"}, var_dir=tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "marketplace.settings.bench"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=django_settings.BASE_DIR, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["True", "memory://"]


@pytest.mark.django_db
def test_bench_field_classifier_runs_inside_a_throwaway_run(tmp_path, broker_publishes, monkeypatch):
    from django.core.management import call_command

    from search.management.commands import bench_field_classifier

    seen = {}
    real_run = bench_field_classifier.Command._run

    def spy(self, **kwargs):
        seen["eager"] = app.conf.task_always_eager
        seen["index"] = django_settings.SEARCH_INDEX_PATH
        return real_run(self, **kwargs)

    monkeypatch.setattr(bench_field_classifier.Command, "_run", spy)
    words = ["光纤", "电池", "轴承", "芯片", "传感器", "药物"]
    codes = ["H04B", "H01M", "F16C", "H01L", "G01D", "A61K"]
    with open(tmp_path / "cn_patents_title_ipc.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["publication_number", "title", "ipc_subclasses"])
        for i in range(120):
            writer.writerow([f"CN11{i:07d}A", f"一种{words[i % 6]}装置{i}", codes[i % 6]])
    live_index = django_settings.SEARCH_INDEX_PATH
    call_command("bench_field_classifier", data_dir=str(tmp_path))
    assert seen["eager"] is True and seen["index"] != live_index
    assert broker_publishes == [] and app.conf.task_always_eager is False


@pytest.mark.django_db(transaction=True)
def test_a_throwaway_run_uses_the_project_app_whichever_celery_app_was_created_last(
    tmp_path, broker_publishes, django_capture_on_commit_callbacks
):
    """A ``Celery(...)`` client created elsewhere in the process (test_lost_worker's, in the Postgres + Redis run)
    became the current app, and the shared tasks followed it to its broker: the own index stayed empty."""
    from celery import Celery, _state

    from search.tasks import index_patents

    patent = PatentFactory()
    own_index = tmp_path / "own" / "search-index.sqlite3"
    own_index.parent.mkdir()
    stranger = Celery("a-client-of-some-other-broker", broker="redis://127.0.0.1:1/0")
    sent = len(broker_publishes)
    try:
        assert _state.get_current_app() is stranger
        with throwaway_side_effects(index_path=own_index):
            with django_capture_on_commit_callbacks(execute=True):
                index_patents.delay([patent.pk])
            assert get_search_backend().count() == 1
        assert len(broker_publishes) == sent
        assert _state.get_current_app() is stranger  # put back as it was
    finally:
        app.set_current()
