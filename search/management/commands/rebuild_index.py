"""``manage.py rebuild_index``: rebuild the whole search index from the database, with a progress bar;
``--check`` prints how the index differs from the database (missing, stale, orphan ids), ``--repair`` fixes only that.

The engine writes a new index and swaps it in at the end (a new table set for the embedded engine, a new
index behind the alias for Elasticsearch), so search keeps answering from the old one meanwhile.
"""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from listings.catalogue.models import Patent
from marketplace import pagecache
from search import get_search_backend
from search.documents import iter_patent_documents
from search.drift import index_drift, index_repair


class Command(BaseCommand):
    help = "Rebuild the patent search index (新建索引并切换，检索不中断); --check prints the drift, --repair fixes it."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="only when the index holds no documents")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--check", action="store_true",
            help="print the difference between index and database (missing, stale, orphan ids); exit 1 when they differ",
        )
        mode.add_argument("--repair", action="store_true", help="re-index what is missing or stale, delete orphans")

    def handle(self, *args, if_empty=False, no_progress=False, check=False, repair=False, verbosity=1, **options):
        backend = get_search_backend()
        if check:
            drift = index_drift(backend=backend)
            self.stdout.write(f"search index ({backend.name})\n{drift.as_text()}")
            if not drift.clean:
                raise CommandError("索引与数据库不一致 / the index differs from the database (rebuild_index --repair)")
            self.stdout.write(self.style.SUCCESS("索引与数据库一致 / the index matches the database"))
            return
        if repair:
            drift = index_repair(backend=backend)
            if not drift.clean:
                pagecache.invalidate()
            self.stdout.write(f"search index ({backend.name}) repaired\n{drift.as_text()}")
            return
        if if_empty and backend.count():
            if verbosity:
                self.stdout.write(f"search index ({backend.name}) already holds {backend.count()} documents; kept")
            return
        total = Patent.objects.count()
        with tqdm(total=total, unit="patent", desc=f"indexing ({backend.name})", disable=no_progress or not verbosity) as bar:
            indexed = backend.rebuild(iter_patent_documents(), progress=bar.update)
        pagecache.invalidate()
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"indexed {indexed} patents with the {backend.name} engine"))
