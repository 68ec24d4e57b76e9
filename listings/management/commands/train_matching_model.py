"""``manage.py train_matching_model``: corpus term weights and the LSA space from the IPC titles and the patents."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from listings.matching import semantics


def corpus_texts():
    """The Chinese titles of the IPC scheme (every level), then each patent's title and abstract."""
    from listings.catalogue.models import IpcEntry, Patent

    for title in IpcEntry.objects.exclude(title_zh="").order_by("code").values_list("title_zh", flat=True).iterator(chunk_size=5000):
        yield title
    for title, abstract in Patent.objects.order_by("pk").values_list("title", "abstract").iterator(chunk_size=5000):
        yield f"{title} {abstract or ''}".strip()


class Command(BaseCommand):
    help = "Train the matching model (term weights + LSA) on the IPC scheme's Chinese titles and the zone's patents."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="", help="default: settings.MATCHING_MODEL_PATH or var/matching-model.joblib")
        parser.add_argument("--components", type=int, default=semantics.LSA_COMPONENTS, help="LSA dimensions")

    def handle(self, *args, output, components, **options):
        from listings.catalogue.models import IpcEntry, Patent

        total = IpcEntry.objects.exclude(title_zh="").count() + Patent.objects.count()
        if total < 10:
            raise CommandError("the IPC scheme and the patent table are (nearly) empty: run import_ipc_scheme and import_patents first")
        with tqdm(total=total, desc="analysing IPC titles and patents", unit="text") as bar:
            model = semantics.train(corpus_texts(), components=components, progress=bar.update)
        path = semantics.save(model, output or semantics.default_path())
        meta = model.meta
        self.stdout.write(f"trained on {meta['texts']:,} texts, {meta['vocabulary']:,} words, "
                          f"{meta['components']} LSA dimensions → {path}")
