"""The matching model: corpus term weights and the LSA space (trained by ``train_matching_model``, stored under var/).

Two things the scorer needs from the corpus and cannot get from one document:

- **how informative a word is**: the inverse document frequency of each word over the Chinese IPC titles and
  the zone's patents, scaled to [0, 1], so 装置、质量、机器人 weigh little and 机器视觉、正极材料 much;
- **what a text is about when it shares no word**: a latent semantic space (TF-IDF over Chinese character
  bigrams and English stems, then a truncated SVD). Two texts are compared by the cosine of their LSA vectors.

Both come from one file (``var/matching-model.joblib``), trained with no download. Without the file the scorer
still works: every word weighs the same and the semantic part is left out (the explanation says so).

The demand side is analysed in precise mode only (``search.understanding.understand``: request stop-words out,
synonym groups in, never the dictionary sub-words of a word), so 电动车 never matches on 动车.
"""
from __future__ import annotations

import functools
import math
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from search import analysis
from search.understanding import QUERY_EN_STOPWORDS, QUERY_STOPWORDS, TermGroup, understand

MODEL_VERSION = 2
#: LSA vectors of patent texts kept per process and model (160 float32 each: 100,000 texts ≈ 64 MiB)
VECTOR_CACHE = 100_000
#: LSA dimensions (capped by the vocabulary size when the corpus is small)
LSA_COMPONENTS = 160
_lock = threading.Lock()
_vectors_lock = threading.Lock()


def lsa_terms(text: str) -> list[str]:
    """The words LSA sees: precise-mode jieba and stemmed English, stop-words and lone CJK characters out."""
    out = []
    for token in analysis.query_tokens(text, max_tokens=400).all_tokens:
        if token in QUERY_STOPWORDS or token in analysis.EN_STOPWORDS or token in QUERY_EN_STOPWORDS:
            continue
        if analysis.is_cjk(token) and len(token) < 2:
            continue
        if token.isdigit():
            continue
        out.append(token)
    return out


def lsa_features(text: str) -> list[str]:
    """What the LSA space is built on: Chinese character bigrams inside each run, and stemmed English words.

    No segmentation, so embedding a few hundred candidates costs milliseconds."""
    out: list[str] = []
    for run in analysis._RUN.findall(analysis.normalise((text or "")[:2_000])):
        if analysis.is_cjk(run):
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        elif not run.isdigit() and run not in analysis.EN_STOPWORDS:
            out.append(analysis._latin(run))
    return out


class DocumentText:
    """A patent's text as term matching reads it: normalised (a Chinese word is held when it occurs, which
    includes a patent's sub-words), and, only when asked, the stems of its English words."""

    def __init__(self, text: str):
        self.text = analysis.normalise((text or "")[:20_000])
        self._latin: frozenset[str] | None = None

    def holds(self, token: str) -> bool:
        if analysis.is_cjk(token):
            return token in self.text
        if self._latin is None:
            self._latin = frozenset(analysis._latin(w) for w in _LATIN_RUN.findall(self.text))
        return token in self._latin


_LATIN_RUN = re.compile(r"[a-z0-9]+")


def document_text(text: str) -> DocumentText:
    return DocumentText(text)


@dataclass
class MatchingModel:
    """Corpus document frequencies and the fitted LSA pipeline."""

    n_docs: int
    df: dict[str, int]
    vectorizer: Any  # sklearn TfidfVectorizer over ``lsa_features``
    svd: Any  # sklearn TruncatedSVD
    meta: dict

    @functools.cached_property
    def max_idf(self) -> float:
        return math.log(1 + self.n_docs)

    def idf(self, token: str) -> float:
        """log(1 + N / df); an unseen word counts as seen once."""
        return math.log(1 + self.n_docs / max(1, self.df.get(token, 0)))

    def weight(self, group: TermGroup) -> float:
        """How informative a query word is, in [0, 1]: the idf of its most common alternative (an
        alternative of several tokens is as common as its rarest token), over the largest possible idf."""
        best = 0.0
        for alternative in group.alternatives:
            alternative_idf = max((self.idf(t) for t in alternative), default=0.0)
            best = alternative_idf if best == 0.0 else min(best, alternative_idf)
        return max(0.0, min(1.0, best / self.max_idf))

    def embed(self, texts: Sequence[str]):
        """Unit-length LSA vectors (rows), one per text; a text with no known word is the zero vector."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.svd.n_components), dtype=np.float32)
        vectors = self.svd.transform(self.vectorizer.transform(list(texts))).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vectors / norms

    def embed_cached(self, texts: Sequence[str]):
        """``embed``, with each text's vector kept in this process for this model (patents' texts recur in
        every demand's candidate pool; a changed text is a new key, so nothing goes stale). Bounded: the
        oldest vectors are dropped past ``VECTOR_CACHE`` texts."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.svd.n_components), dtype=np.float32)
        with _vectors_lock:
            cache = self.__dict__.setdefault("_vectors", OrderedDict())
            found = {t: cache[t] for t in dict.fromkeys(texts) if t in cache}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            found.update(zip(missing, self.embed(missing)))
            with _vectors_lock:
                cache.update((t, found[t]) for t in missing)
                while len(cache) > VECTOR_CACHE:
                    cache.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_vectors", None)  # a process's cache is not part of the model file
        state.pop("max_idf", None)
        return state


def train(texts: Iterable[str], *, components: int = LSA_COMPONENTS, progress: Callable[[int], None] | None = None,
          meta: dict | None = None, seed: int = 20261129) -> MatchingModel:
    """Fit the model on ``texts`` (IPC titles and patents' title + abstract)."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    analysed: list[list[str]] = []
    kept: list[str] = []
    for text in texts:
        analysed.append(lsa_terms(text))
        kept.append(text)
        if progress:
            progress(1)
    if len(analysed) < 10:
        raise ValueError("the matching model needs at least 10 texts to learn from")
    df: dict[str, int] = {}
    for terms in analysed:
        for term in set(terms):
            df[term] = df.get(term, 0) + 1
    vectorizer = TfidfVectorizer(analyzer=lsa_features, sublinear_tf=True, min_df=2)
    matrix = vectorizer.fit_transform(kept)
    n_components = max(2, min(components, matrix.shape[1] - 1, matrix.shape[0] - 1))
    svd = TruncatedSVD(n_components=n_components, algorithm="randomized", n_iter=5, random_state=seed)
    svd.fit(matrix)
    return MatchingModel(n_docs=len(analysed), df=df, vectorizer=vectorizer, svd=svd,
                         meta={**(meta or {}), "texts": len(analysed), "vocabulary": len(df), "components": n_components})


# ----------------------------------------------------------------------------------------------------
# the file under var/
# ----------------------------------------------------------------------------------------------------
def default_path() -> Path:
    from django.conf import settings

    return Path(getattr(settings, "MATCHING_MODEL_PATH", None) or Path(settings.VAR_DIR) / "matching-model.joblib")


def save(model: MatchingModel, path: str | Path) -> Path:
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    joblib.dump({"version": MODEL_VERSION, "model": model}, tmp)
    os.replace(tmp, path)
    _load.cache_clear()
    return path


@functools.lru_cache(maxsize=2)
def _load(path: str, mtime: float) -> MatchingModel | None:
    import joblib

    payload = joblib.load(path)
    if not isinstance(payload, dict) or payload.get("version") != MODEL_VERSION:
        return None
    return payload["model"]


def load(path: str | Path | None = None) -> MatchingModel | None:
    """The saved model, or None when there is none (or it is from another version)."""
    path = Path(path) if path else default_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    with _lock:
        return _load(str(path), mtime)


# ----------------------------------------------------------------------------------------------------
# the demand side
# ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemandTerms:
    """The informative words of a demand with their weights (precise mode, synonyms grouped)."""

    groups: tuple[TermGroup, ...]
    weights: tuple[float, ...]

    @property
    def total(self) -> float:
        return sum(self.weights)

    def coverage(self, document: DocumentText) -> tuple[float, dict[str, float]]:
        """The weighted share of the demand's words a document holds, and the words it holds with their weights.

        A word is held when the document holds every token of one of its alternatives."""
        if self.total <= 0:
            return 0.0, {}
        held: dict[str, float] = {}
        covered = 0.0
        for group, weight in zip(self.groups, self.weights):
            if any(alternative and all(document.holds(t) for t in alternative) for alternative in group.alternatives):
                held[group.word] = round(weight, 4)
                covered += weight
        return covered / self.total, held


def demand_terms(text: str, model: MatchingModel | None) -> DemandTerms:
    """The demand's words and their corpus weights (1 each without a model); lone CJK characters and
    bare numbers are left out."""
    u = understand(text or "")
    groups = tuple(
        g for g in u.groups
        if not (analysis.is_cjk(g.word) and len(g.word) < 2) and not g.word.isdigit() and g.alternatives
    )
    weights = tuple(model.weight(g) if model is not None else 1.0 for g in groups)
    return DemandTerms(groups=groups, weights=weights)
