"""``manage.py backup``: one archive of the embedded default (database, uploads, search index), with a progress bar."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from marketplace.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "备份数据库、上传文件与检索索引 / Back up the database, the uploads and the search index into one archive."

    def add_arguments(self, parser):
        parser.add_argument("destination", nargs="?", help="the archive to write (default var/backups/zonepatent-<time>.tar.gz)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, destination: str | None, no_progress: bool, **options):
        if destination is None:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            destination = str(Path(settings.VAR_DIR) / "backups" / f"zonepatent-{stamp}.tar.gz")
        with tqdm(unit="file", desc="backup", disable=no_progress) as bar:
            try:
                manifest = backup_create(destination=Path(destination), progress=bar.update)
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
        counts = manifest["counts"]
        self.stdout.write(self.style.SUCCESS(
            f"{destination}: {counts['patents']} patents, {counts['listings']} listings, {counts['demands']} demands, "
            f"{len(manifest['media'])} files" + (", search index" if manifest["search_index"] else "")
        ))
