"""Field prediction: a linear classifier (title + abstract → IPC subclass) trained on the zone database."""
from __future__ import annotations

import functools
import os
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from search import analysis

MODEL_VERSION = 1
_lock = threading.Lock()


def text_features(text: str) -> list[str]:
    """jieba precise-mode words and stemmed English (stop-words out) plus Chinese character bigrams."""
    words = [t for t in analysis.query_tokens(text, max_tokens=400).all_tokens
             if t not in analysis.CJK_STOPWORDS and t not in analysis.EN_STOPWORDS]
    chars = [c for c in analysis.normalise(text) if analysis.is_cjk(c)]
    bigrams = ["§" + a + b for a, b in zip(chars, chars[1:])]
    return words + bigrams


def build_pipeline():
    """TF-IDF over ``text_features`` and a one-vs-rest linear SVM (scikit-learn)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(analyzer=text_features, sublinear_tf=True, min_df=1)),
            ("svm", LinearSVC(C=0.5, class_weight=None)),
        ]
    )


def train(texts: Sequence[str], labels: Sequence[str], *, progress=None):
    """A fitted pipeline. ``progress(n)`` is told as texts are analysed (the slow part)."""
    if len(set(labels)) < 2:
        raise ValueError("at least two IPC subclasses are needed to train the field classifier")
    features = []
    for text in texts:
        features.append(text)
        if progress:
            progress(1)
    pipeline = build_pipeline()
    pipeline.fit(features, list(labels))
    return pipeline


def top_k(model, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
    """The ``k`` best subclasses for each text, with the classifier's margin."""
    import numpy as np

    if not texts:
        return []
    scores = model.decision_function(list(texts))
    classes = model.classes_
    if scores.ndim == 1:  # two classes
        scores = np.stack([-scores, scores], axis=1)
    k = min(k, len(classes))
    order = np.argsort(-scores, axis=1)[:, :k]
    return [[(str(classes[j]), float(scores[i, j])) for j in row] for i, row in enumerate(order)]


def default_path() -> Path:
    from django.conf import settings

    return Path(getattr(settings, "FIELD_CLASSIFIER_PATH", None) or Path(settings.VAR_DIR) / "field-classifier.joblib")


def save(model, path: str | Path, *, meta: dict | None = None) -> Path:
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    joblib.dump({"version": MODEL_VERSION, "model": model, "meta": meta or {}}, tmp)
    os.replace(tmp, path)
    _load.cache_clear()
    return path


@functools.lru_cache(maxsize=2)
def _load(path: str, mtime: float):
    import joblib

    payload = joblib.load(path)
    if not isinstance(payload, dict) or payload.get("version") != MODEL_VERSION:
        return None
    return payload["model"]


def load(path: str | Path | None = None):
    """The saved model, or None when there is none (or it is from another version)."""
    path = Path(path) if path else default_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    with _lock:
        return _load(str(path), mtime)


def predict_fields(text: str, k: int = 3, *, path: str | Path | None = None) -> list[tuple[str, float]]:
    """The ``k`` most likely IPC subclasses for a text as (subclass, score); [] when no model file exists."""
    if not (text or "").strip():
        return []
    model = load(path)
    if model is None:
        return []
    return top_k(model, [text[:5_000]], k)[0]


# ----------------------------------------------------------------------------------------------------
# evaluation baselines (bench_field_classifier)
# ----------------------------------------------------------------------------------------------------
def most_frequent_baseline(train_labels: Iterable[str], k: int = 3) -> list[str]:
    return [label for label, _ in Counter(train_labels).most_common(k)]


def nearest_neighbour_top_k(train_texts, train_labels, test_texts, k: int = 3) -> list[list[str]]:
    """TF-IDF cosine nearest neighbours: the subclasses of the closest training texts, distinct, in order."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(analyzer=text_features, sublinear_tf=True)
    train_matrix = vectoriser.fit_transform(train_texts)
    test_matrix = vectoriser.transform(test_texts)
    out = []
    labels = np.asarray(train_labels)
    for start in range(0, test_matrix.shape[0], 500):
        sims = (test_matrix[start : start + 500] @ train_matrix.T).toarray()
        order = np.argsort(-sims, axis=1)[:, : 10 * k]
        for row in order:
            out.append(list(dict.fromkeys(labels[row]))[:k])
    return out


def accuracy(predictions: Sequence[Sequence[str]], truth: Sequence[str], k: int) -> float:
    hits = sum(1 for p, t in zip(predictions, truth) if t in list(p)[:k])
    return hits / max(1, len(truth))
