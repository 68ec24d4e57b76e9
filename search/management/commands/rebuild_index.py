"""``manage.py rebuild_index``: rebuild the whole search index from the database, with a progress bar.

The engine writes a new index and swaps it in at the end (a new table set for the embedded engine, a new
index behind the alias for Elasticsearch), so search keeps answering from the old one meanwhile.
"""
from django.core.management.base import BaseCommand
from tqdm import tqdm

from listings.catalogue.models import Patent
from marketplace import pagecache
from search import get_search_backend
from search.documents import iter_patent_documents


class Command(BaseCommand):
    help = "Rebuild the patent search index (新建索引并切换，检索不中断)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="only when the index holds no documents")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")

    def handle(self, *args, if_empty=False, no_progress=False, verbosity=1, **options):
        backend = get_search_backend()
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
