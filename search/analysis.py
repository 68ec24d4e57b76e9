"""Text analysis shared by the embedded engine and by highlighting.

Chinese runs are segmented by jieba (search mode when indexing, precise mode for queries, so that a query
word is always one of the tokens its document produced); Latin runs are lower-cased and Snowball-stemmed.
Queries never reach FTS5 as typed: they become a list of tokens made only of letters and digits, which
``match_expression`` quotes. That is what keeps FTS and SQL syntax away from users.
"""
from __future__ import annotations

import functools
import html
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass

import snowballstemmer

MAX_TOKEN_CHARS = 40

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_LATIN_WORD = re.compile(r"[A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")

#: patent boilerplate and function words: dropped from queries unless a query has nothing else
CJK_STOPWORDS = frozenset(
    """一种 一 种 及其 及 其 和 与 或 的 之 以及 方法 装置 系统 设备 用于 基于 所述 其中 包括 具有 该 个 及该
    一种用于 制备 制备方法 应用 用途 结构 组件 机构""".split()
)
EN_STOPWORDS = frozenset(
    """a an the of and or for to in on with by at from is are be as that this which its it into
    method methods device devices system systems apparatus use""".split()
)

_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba():
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return jieba


_stemmer_local = threading.local()


def _stem(word: str) -> str:
    stemmer = getattr(_stemmer_local, "stemmer", None)
    if stemmer is None:
        stemmer = _stemmer_local.stemmer = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word)


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def is_cjk(token: str) -> bool:
    return bool(token) and "\u3400" <= token[0] <= "\ufaff"


@functools.lru_cache(maxsize=50_000)
def _latin(word: str) -> str:
    return _stem(word)[:MAX_TOKEN_CHARS]


def index_tokens(text: str) -> list[str]:
    """Tokens for the index: jieba search mode (words and their dictionary sub-words), stemmed Latin."""
    jieba = _jieba()
    out: list[str] = []
    for run in _RUN.findall(normalise(text)):
        if is_cjk(run):
            out.extend(t[:MAX_TOKEN_CHARS] for t in jieba.cut_for_search(run, HMM=False) if t.strip())
        else:
            out.append(_latin(run))
    return out


@functools.lru_cache(maxsize=100_000)
def index_text(text: str) -> str:
    """What FTS5 stores for a field: the tokens separated by spaces (FTS5's own tokenizer just splits).

    Kept per process: applicants, abstracts and boilerplate titles recur, and segmenting is most of the cost
    of an index build."""
    return " ".join(index_tokens(text))


@dataclass(frozen=True)
class AnalysedQuery:
    tokens: tuple[str, ...]  # what is matched (stop-words removed unless nothing else is left)
    all_tokens: tuple[str, ...]  # every token of the query, in order, unique
    dropped: tuple[str, ...]  # stop-words that were left out
    only_stopwords: bool = False  # nothing but boilerplate: the stop-words themselves are matched

    @property
    def empty(self) -> bool:
        return not self.tokens


def query_tokens(text: str, *, max_tokens: int = 32) -> AnalysedQuery:
    """The tokens of a user's query: precise-mode jieba, stemmed Latin, unique, capped in number."""
    jieba = _jieba()
    pairs: list[tuple[str, bool]] = []  # (token, is a stop-word)
    for run in _RUN.findall(normalise(text)):
        if is_cjk(run):
            pairs.extend(
                (t[:MAX_TOKEN_CHARS], t in CJK_STOPWORDS) for t in jieba.cut(run, HMM=False) if t.strip()
            )
        else:
            pairs.append((_latin(run), run in EN_STOPWORDS))
    unique: list[str] = []
    dropped: list[str] = []
    for token, stop in pairs:
        if token in unique:
            continue
        unique.append(token)
        if stop:
            dropped.append(token)
    kept = [t for t in unique if t not in dropped] or unique
    return AnalysedQuery(
        tuple(kept[:max_tokens]),
        tuple(unique[:max_tokens]),
        tuple(d for d in dropped if d not in kept),
        only_stopwords=bool(unique) and len(dropped) == len(unique),
    )


def match_expression(tokens, *, operator: str = "AND", columns: tuple[str, ...] | None = None, prefix_last=False) -> str:
    """A safe FTS5 MATCH string: each token quoted (tokens hold only letters and digits)."""
    parts = []
    for i, token in enumerate(tokens):
        if not token or '"' in token:
            continue
        star = "*" if prefix_last and i == len(tokens) - 1 else ""
        parts.append(f'"{token}"{star}')
    if not parts:
        return ""
    body = f" {operator} ".join(parts)
    if columns:
        return "{" + " ".join(columns) + "} : (" + body + ")"
    return body


# ----------------------------------------------------------------------------------------------------
# Highlighting on the original text
# ----------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1_024)
def _matcher(tokens: tuple[str, ...]) -> tuple[re.Pattern | None, frozenset[str]]:
    """The compiled CJK alternation and the Latin stems of a query, built once per query, not per field."""
    cjk = [t for t in tokens if is_cjk(t)]
    latin = frozenset(t for t in tokens if not is_cjk(t))
    pattern = re.compile("|".join(re.escape(t) for t in sorted(cjk, key=len, reverse=True))) if cjk else None
    return pattern, latin


def _spans_and_terms(text: str, tokens: tuple[str, ...], lowered: str | None = None
                     ) -> tuple[list[tuple[int, int]], set[str]]:
    """Character spans of ``text`` that match a query token (CJK by substring, Latin by stem), merged,
    and the tokens found (``lowered``: ``text.lower()`` when the caller has it)."""
    if not text or not tokens:
        return [], set()
    pattern, latin = _matcher(tokens)
    spans: list[tuple[int, int]] = []
    found: set[str] = set()
    if pattern is not None:
        # NFKC rarely changes CJK characters; matching on the lower-cased original keeps offsets exact.
        for m in pattern.finditer(text.lower() if lowered is None else lowered):
            spans.append(m.span())
            found.add(m.group())
    if latin:
        for m in _LATIN_WORD.finditer(text):
            stem = _latin(normalise(m.group()))
            if stem in latin:
                spans.append(m.span())
                found.add(stem)
    if not spans:
        return [], found
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged, found


_HTML_SPECIAL = re.compile(r"""[&<>"']""")


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    out = []
    pos = start
    # most patent text holds no HTML-special character: escaping is then the identity
    escape = html.escape if _HTML_SPECIAL.search(text, start, end) else str
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(escape(text[pos:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return "".join(out)


def highlight(text: str, tokens: tuple[str, ...], *, fragment: int | None = None) -> tuple[str, set[str]]:
    """HTML-escaped text with ``<mark>`` around matches; ``fragment`` cuts a window around the first match.

    Returns the snippet ("" when nothing matched) and the tokens that matched.
    """
    lowered = text.lower()
    pattern, latin = _matcher(tokens) if text and tokens else (None, frozenset())
    if latin and not _LATIN_WORD.search(text):
        latin = frozenset()  # no Latin word in this field: only the CJK words can match
        if pattern is None:
            return "", set()
    if pattern is not None and not latin and (fragment is None or len(text) <= fragment):
        # CJK matches only, the whole field: the regex engine marks it in one pass (touching marks merged,
        # as ``_spans_and_terms`` merges touching spans) when lower-casing and escaping change nothing
        hits = pattern.findall(lowered)
        if not hits:
            return "", set()
        if lowered == text and not _HTML_SPECIAL.search(text):
            found = set(hits)
            matched = found | {tok for tok in tokens if tok not in found and is_cjk(tok) and tok in lowered}
            return pattern.sub(r"<mark>\g<0></mark>", text).replace("</mark><mark>", ""), matched
    spans, found = _spans_and_terms(text, tokens, lowered)
    if not spans:
        return "", set()
    # a shorter token inside a longer match (传感 in 传感器) still counts as matched
    matched = found | {tok for tok in tokens if tok not in found and is_cjk(tok) and tok in lowered}
    if fragment is None or len(text) <= fragment:
        return _render(text, spans, 0, len(text)), matched
    first = spans[0][0]
    start = max(0, first - fragment // 4)
    end = min(len(text), start + fragment)
    start = max(0, end - fragment)
    snippet = _render(text, spans, start, end)
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(text) else ""), matched
