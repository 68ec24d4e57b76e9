"""``manage.py train_field_classifier``: train the field classifier from the Patent table and save it under var/."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search import classifier


def training_rows():
    """(title + abstract, first IPC subclass) for every patent that has one."""
    from listings.catalogue.models import Patent

    qs = Patent.objects.prefetch_related("ipc_codes").order_by("pk").only("pk", "title", "abstract")
    for patent in qs.iterator(chunk_size=2000):
        codes = sorted(patent.ipc_codes.all(), key=lambda r: (not r.is_main, r.position))
        subclass = next((c.subclass for c in codes if c.subclass), "")
        if subclass and patent.title:
            yield f"{patent.title} {patent.abstract or ''}".strip(), subclass


class Command(BaseCommand):
    help = "Train the IPC-subclass field classifier on the zone database (title + abstract) and save it."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="", help="default: settings.FIELD_CLASSIFIER_PATH or var/field-classifier.joblib")

    def handle(self, *args, output, **options):
        from listings.catalogue.models import Patent

        total = Patent.objects.count()
        texts, labels = [], []
        for text, label in tqdm(training_rows(), total=total, desc="reading patents", unit="patent"):
            texts.append(text)
            labels.append(label)
        if len(set(labels)) < 2:
            raise CommandError(f"need patents in at least two IPC subclasses to train, found {len(set(labels))}")
        with tqdm(total=len(texts), desc="analysing", unit="patent") as bar:
            model = classifier.train(texts, labels, progress=bar.update)
        path = classifier.save(model, output or classifier.default_path(),
                               meta={"patents": len(texts), "subclasses": len(set(labels))})
        self.stdout.write(f"trained on {len(texts):,} patents in {len(set(labels))} subclasses → {path}")
