"""``manage.py generate_demo_patents [--count N]``: a synthetic, clearly flagged demo set."""
from django.core.management.base import BaseCommand, CommandError

from listings.catalogue.services.demo import demo_patents_generate


class Command(BaseCommand):
    help = (
        "生成演示专利（is_demo=True, source='demo'），供没有 ../shared/data 的机器使用；可重复运行。"
        " / Generate synthetic demo patents (flagged is_demo) for machines without the shared data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=200)
        parser.add_argument("--seed", type=int, default=2013)

    def handle(self, *args, count, seed, **options):
        if count < 1:
            raise CommandError("--count 至少为 1 / --count must be at least 1")
        result = demo_patents_generate(count=count, seed=seed)
        self.stdout.write(
            f"演示专利 / demo patents: 新增 created {len(result.created)}; 更新 updated {len(result.updated)}; "
            f"未变 unchanged {len(result.unchanged)}（均标记为演示数据 / all flagged is_demo）"
        )
