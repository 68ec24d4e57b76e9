"""``manage.py restore ARCHIVE``: bring back the database, uploads and search index of a ``backup`` archive."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from marketplace.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "从备份恢复 / Restore the database, the uploads and the search index from a backup archive."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--force", action="store_true", help="replace a database that already holds patents")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, archive: str, force: bool, no_progress: bool, **options):
        with tqdm(unit="file", desc="restore", disable=no_progress) as bar:
            try:
                manifest = backup_restore(archive=Path(archive), force=force, progress=bar.update)
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
        counts = manifest["counts"]
        self.stdout.write(self.style.SUCCESS(
            f"restored {counts['patents']} patents, {counts['listings']} listings, {counts['demands']} demands, "
            f"{len(manifest['media'])} files; search index "
            + ("rebuilt from the database" if manifest["index_rebuilt"] else "restored")
        ))
