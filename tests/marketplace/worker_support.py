"""Helpers for the tests that run real Celery workers as subprocesses and kill them: the database they share with
the test, and waiting on a busy machine."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from django.db import connection

WAIT = 90.0  # seconds: an upper bound for a busy shared machine, not a measurement


def push_database(tmp_path: Path) -> tuple[str, Path | None]:
    """The workers' DATABASE_URL: the test database itself on Postgres; on SQLite (in memory) a file copy of it."""
    if connection.vendor == "sqlite":
        path = tmp_path / "db.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=WAL")  # as the site runs it: readers are not held up by a writer
        copy.close()
        return f"sqlite:///{path}", path
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}", None


def pull_database(path: Path | None) -> None:
    """Bring what the workers wrote back into the test database (SQLite only; Postgres is the same database)."""
    if path is not None:
        copy = sqlite3.connect(path)
        copy.backup(connection.connection)
        copy.close()


def scalar(sqlite_path: Path | None, sql: str) -> object:
    """One value from the database the workers write (the file copy on SQLite, the shared database on Postgres)."""
    if sqlite_path is not None:
        db = sqlite3.connect(sqlite_path, timeout=30)
        try:
            return db.execute(sql).fetchone()[0]
        finally:
            db.close()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def wait_for(condition, what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}; worker log:\n{log.read_text()[-6000:]}")
