"""Helpers for the tests that run real Celery workers as subprocesses and kill them: the database they share with
the test, and waiting on a busy machine."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from django.db import connection

from listings.matching.models import DemandMatch
from marketplace.models import Membership, Notification
from tests.factories import DemandFactory, ListingFactory, MembershipFactory, OrganisationFactory, PatentFactory

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


class BatteryWorld(NamedTuple):
    member: Any
    cathode: Any
    electrolyte: Any
    unindexed: Any
    wants_cathode: Any
    wants_electrolyte: Any
    listing: Any


def battery_world() -> BatteryWorld:
    """The world both killed-worker tests start from: two indexed battery patents, one patent the index lacks (its
    indexing task is the one to lose), two demands whose matches are not computed yet and a licence listing."""
    from search import get_search_backend
    from search.documents import iter_patent_documents

    buyer, seller = OrganisationFactory(name="需求企业"), OrganisationFactory(name="权利人大学")
    member = MembershipFactory(organisation=buyer, role=Membership.Role.DEMAND).user
    cathode = PatentFactory(title="锂电池正极材料的包覆方法", abstract="提高锂电池正极材料循环寿命的包覆方法", ipc=["H01M4/36"],
                            holders=[seller])
    electrolyte = PatentFactory(title="锂电池电解液添加剂", ipc=["H01M10/0567"], holders=[seller])

    get_search_backend().rebuild(iter_patent_documents())
    unindexed = PatentFactory(title="一种固态电池隔膜", ipc=["H01M50/40"])
    get_search_backend().delete(unindexed.pk)  # (the suite's eager on-commit indexing added it): the task must
    wants_cathode = DemandFactory(organisation=buyer, title="锂电池正极材料", problem="正极材料循环寿命短，需要包覆改性技术",
                                  ipc_codes=["H01M4/00"])
    wants_electrolyte = DemandFactory(organisation=buyer, title="锂电池电解液添加剂", problem="电解液高温分解",
                                      ipc_codes=["H01M10/05"], deal_types=["licence"], budget_max=50_000_00)
    listing = ListingFactory(organisation=seller, patents=[electrolyte], deal_type="licence", price_amount=30_000_00,
                             title="电解液添加剂专利许可")
    assert not DemandMatch.objects.exists() and not Notification.objects.exists()
    assert get_search_backend().count() == 2
    return BatteryWorld(member, cathode, electrolyte, unindexed, wants_cathode, wants_electrolyte, listing)
