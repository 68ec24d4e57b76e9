"""``manage.py bench_field_classifier``: top-1/top-3 accuracy of the field classifier on a held-out split of the
real zone records, against a most-frequent-subclass and a TF-IDF 1-NN baseline. Figures, not a test."""
from __future__ import annotations

import csv
import random
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from marketplace.throwaway import throwaway_side_effects
from search import classifier


def read_records(data_dir: Path) -> list[tuple[str, str]]:
    """(title [+ abstract], first IPC subclass) from the real records."""
    rows = []
    with open(data_dir / "cn_patents_title_ipc.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            first = (row["ipc_subclasses"] or "").split("|")[0].strip()
            if first and row["title"].strip():
                rows.append((row["title"].strip(), first))
    abstracts = data_dir / "cn_patents_abstract_cpc_sample.csv"
    if abstracts.exists():
        with open(abstracts, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                first = (row["ipc_subclasses"] or "").split("|")[0].strip()
                if first:
                    rows.append((f"{row['title']} {row['abstract']}".strip(), first))
    return rows


class Command(BaseCommand):
    help = "Evaluate the field classifier on a held-out split of the real records (top-1/top-3 with baselines)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=20261128)
        parser.add_argument("--test-share", type=float, default=0.2)
        parser.add_argument("--data-dir", default=str(settings.SHARED_DATA_DIR))

    def handle(self, *args, seed, test_share, data_dir, **options):
        with tempfile.TemporaryDirectory(prefix="bench-classifier-") as workdir:
            with throwaway_side_effects(index_path=Path(workdir) / "search-index.sqlite3"):
                self._run(seed=seed, test_share=test_share, data_dir=Path(data_dir))

    def _run(self, *, seed: int, test_share: float, data_dir: Path) -> None:
        """Reads only the data folder; run inside ``throwaway_side_effects`` like every benchmark."""
        if not (data_dir / "cn_patents_title_ipc.csv").exists():
            raise CommandError(f"the real records are missing: {data_dir}/cn_patents_title_ipc.csv")
        rows = read_records(data_dir)
        random.Random(seed).shuffle(rows)
        cut = int(len(rows) * (1 - test_share))
        train_rows, test_rows = rows[:cut], rows[cut:]
        train_texts, train_labels = [t for t, _ in train_rows], [label for _, label in train_rows]
        test_texts, truth = [t for t, _ in test_rows], [label for _, label in test_rows]
        self.stdout.write(
            f"{len(rows):,} real records, {len({label for _, label in rows})} first subclasses; "
            f"train {len(train_rows):,} / held out {len(test_rows):,} (seed {seed})"
        )
        started = time.perf_counter()
        with tqdm(total=len(train_texts), desc="training", unit="patent") as bar:
            model = classifier.train(train_texts, train_labels, progress=bar.update)
        trained = time.perf_counter() - started
        model_top = [[c for c, _ in row] for row in classifier.top_k(model, test_texts, 3)]
        frequent = classifier.most_frequent_baseline(train_labels, 3)
        nn_top = classifier.nearest_neighbour_top_k(train_texts, train_labels, test_texts, 3)
        lines = [
            "| ranker | top-1 | top-3 |",
            "|---|---:|---:|",
        ]
        for name, predictions in (
            ("classifier (TF-IDF words + char bigrams, LinearSVC)", model_top),
            ("most frequent subclass", [frequent] * len(truth)),
            ("TF-IDF cosine nearest neighbour", nn_top),
        ):
            lines.append(
                f"| {name} | {classifier.accuracy(predictions, truth, 1):.3f} | {classifier.accuracy(predictions, truth, 3):.3f} |"
            )
        self.stdout.write("\n".join(lines))
        self.stdout.write(f"training took {trained:.1f} s")
