"""``manage.py load_zone_directory``: zones, industries with IPC scope, and the seed's organisations."""
from django.core.management.base import BaseCommand

from listings.catalogue.services.zone_directory import default_data_dir, zone_directory_load


class Command(BaseCommand):
    help = (
        "载入 8 个实验区及其产业 IPC 范围、SEI-2021 产业、5 个协会、35 家试点企业（含 10 家服务机构）；可重复运行。"
        " / Load the zone directory (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--builtin", action="store_true",
            help="不读 ../shared/data，只用内置的最小 IPC 范围 / ignore ../shared/data and use the built-in minimal scopes",
        )

    def handle(self, *args, builtin=False, **options):
        if not builtin and default_data_dir() is None:
            self.stdout.write(self.style.WARNING(
                "../shared/data 不存在：实验区使用内置的最小 IPC 范围，不载入 SEI-2021 产业 / "
                "shared data absent: zones get a built-in minimal IPC scope and SEI-2021 is skipped"
            ))
        result = zone_directory_load(use_shared=not builtin)
        self.stdout.write(result.as_text())
