"""``manage.py import_patents PATH``: validate a CSV / JSON Lines file of patents, then upsert it."""
from django.core.management.base import BaseCommand, CommandError

from listings.catalogue.importers.patents import ImportFileError, import_patents_file


class Command(BaseCommand):
    help = (
        "导入专利（CSV 或 JSON Lines）。默认全有或全无：任一行有错则不写入，错误写入 <文件>.import-report.csv。"
        " / Import patents from CSV or JSON Lines; all-or-nothing unless --skip-bad-rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--skip-bad-rows", action="store_true",
            help="导入有效行，跳过错误行 / import the valid rows and leave out the bad ones (listed in the report)",
        )
        parser.add_argument("--source", default=None, help="数据来源名称，默认为文件名 / source name (default: file name)")
        parser.add_argument(
            "--profile", default=None,
            help="数据源配置，默认按文件名选择（见 docs/importing.md）/ source profile, chosen by file name by default",
        )
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, path, skip_bad_rows, source, profile, batch_size, no_progress, **options):
        try:
            summary = import_patents_file(
                path=path, skip_bad_rows=skip_bad_rows, source=source, batch_size=batch_size,
                progress=not no_progress, profile_name=profile,
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(summary.as_text())
        if summary.valid == 0:
            raise CommandError(f"没有有效行，未导入任何数据 / no valid rows in {path}; see {summary.report_path}")
        if summary.write_failed or summary.unreadable_from is not None:
            raise CommandError(
                f"文件未导入，数据库未改变 / nothing imported, the database is unchanged; report: {summary.report_path}"
            )
        if not summary.imported:
            raise CommandError(
                f"{summary.bad} 行有错误，未写入任何数据（可用 --skip-bad-rows 只导入有效行）/ "
                f"{summary.bad} bad rows, nothing imported (use --skip-bad-rows to import the valid ones); "
                f"report: {summary.report_path}"
            )
