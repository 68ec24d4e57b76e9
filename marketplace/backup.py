"""Backups of the embedded default: one archive with a consistent SQLite copy, the uploads and the search index, and its restore.

The archive (``.tar.gz``) holds ``manifest.json`` (when, which counts of patents, listings and demands, which
files), ``db.sqlite3`` (SQLite's online backup API: consistent while the site and the worker keep writing),
``search-index.sqlite3`` when the embedded engine has one (otherwise ``restore`` rebuilds the index from the
database, which is all the index needs), and ``media/`` (the uploaded files). Postgres deployments use
``pg_dump``/``pg_restore`` and a copy of the media volume instead (docs/operations.md).
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

FORMAT = 1
COUNTED = {"patents": ("listings", "patent"), "listings": ("listings", "listing"), "demands": ("listings", "demand")}
Progress = Callable[[int], object]


class BackupError(Exception):
    """A backup or restore that cannot go ahead, with the reason."""


def sqlite_copy(source: Path | sqlite3.Connection, destination: Path, *, progress: Progress | None = None) -> None:
    """A consistent copy of a SQLite database (online backup API), safe while others write to it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    src = source if isinstance(source, sqlite3.Connection) else sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(destination)
        try:
            def step(status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining)

            src.backup(dest, pages=1024, progress=step)
        finally:
            dest.close()
    finally:
        if src is not source:
            src.close()


def _embedded_database() -> None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        raise BackupError(
            "backup/restore cover the embedded SQLite default; on Postgres use pg_dump and pg_restore "
            "(docs/operations.md)"
        )


def database_counts() -> dict[str, int]:
    from django.apps import apps

    return {name: apps.get_model(app, model).objects.count() for name, (app, model) in COUNTED.items()}


def _media_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def backup_create(*, destination: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Write the archive to ``destination``; returns its manifest."""
    _embedded_database()
    media_root = Path(settings.MEDIA_ROOT)
    media = _media_files(media_root)
    with tempfile.TemporaryDirectory(prefix="zonepatent-backup-") as tmp:
        staging = Path(tmp)
        connection = connections["default"]
        connection.ensure_connection()
        sqlite_copy(connection.connection, staging / "db.sqlite3")  # type: ignore[arg-type]
        index = Path(settings.SEARCH_INDEX_PATH)
        has_index = settings.SEARCH_BACKEND == "search.backends.embedded" and index.exists()
        if has_index:
            sqlite_copy(index, staging / "search-index.sqlite3")
        manifest = {
            "format": FORMAT,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "counts": database_counts(),
            "search_index": has_index,
            "media": [str(p.relative_to(media_root)) for p in media],
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            for name in ("manifest.json", "db.sqlite3", *(["search-index.sqlite3"] if has_index else [])):
                tar.add(staging / name, arcname=name)
                if progress:
                    progress(1)
            for path in media:
                tar.add(path, arcname=f"media/{path.relative_to(media_root)}")
                if progress:
                    progress(1)
        partial.replace(destination)  # a half-written archive never carries the final name
    return manifest


def backup_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest = json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise BackupError(f"{archive}: not a backup archive ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: backup format {manifest.get('format')!r}, this version reads {FORMAT}")
    return manifest


def backup_restore(*, archive: Path, force: bool = False, progress: Progress | None = None) -> dict[str, Any]:
    """Replace the database, index and uploads with the archive's; refuses to overwrite data unless ``force``."""
    _embedded_database()
    manifest = backup_manifest(archive)
    database = Path(settings.DATABASES["default"]["NAME"])
    if not force and database.exists() and database.stat().st_size and _has_patents(database):
        raise BackupError(f"{database} already holds patents; pass --force to replace them")
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="zonepatent-restore-") as tmp:
        staging = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                tar.extract(member, staging, filter="data")  # refuses absolute paths and ../
                if progress:
                    progress(1)
        connections.close_all()
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        database.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(staging / "db.sqlite3", database.with_name(database.name + ".restoring"))
        database.with_name(database.name + ".restoring").replace(database)
        index = Path(settings.SEARCH_INDEX_PATH)
        if manifest["search_index"] and settings.SEARCH_BACKEND == "search.backends.embedded":
            for suffix in ("-wal", "-shm"):
                Path(f"{index}{suffix}").unlink(missing_ok=True)
            index.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staging / "search-index.sqlite3", index)
            manifest["index_rebuilt"] = False
        else:
            from django.core.management import call_command

            call_command("rebuild_index", no_progress=True, verbosity=0)
            manifest["index_rebuilt"] = True
        if (staging / "media").exists():
            shutil.copytree(staging / "media", media_root, dirs_exist_ok=True)
    restored = database_counts()
    if restored != manifest["counts"]:
        raise BackupError(f"restored counts {restored} differ from the archive's {manifest['counts']}")
    from marketplace import pagecache

    pagecache.invalidate()
    return manifest


def _has_patents(database: Path) -> bool:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        try:
            return bool(conn.execute("SELECT 1 FROM listings_patent LIMIT 1").fetchone())
        except sqlite3.DatabaseError:
            return False
