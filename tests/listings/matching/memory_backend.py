"""A small in-memory engine behind ``search.interface.SearchBackend`` for the matching suite.

Matching must only talk to the interface; this engine lets the suite pin that down without
depending on how an engine under construction tokenises or scores. It is a real BM25 over jieba
tokens with every filter of ``SearchFilters`` (IPC at any level, legal status, zone, industry, ids).
The suite also runs the end-to-end cases against the configured engine when it is importable.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

import jieba

from listings.catalogue.identifiers import IPC_LEVELS, IdentifierError, parse_ipc
from search.interface import (
    Hit,
    PatentDocument,
    SearchBackend,
    SearchFilters,
    SearchQuery,
    SearchResult,
    document_fingerprint,
)

jieba.setLogLevel(60)
_WORD = re.compile(r"[\w\u4e00-\u9fff]+")
STOP = {"一种", "及其", "方法", "装置", "系统", "所述", "以及", "包括", "用于", "本发明", "涉及", "进行", "一个", "通过", "的", "和", "及", "与"}


def tokens(text: str) -> list[str]:
    out = []
    for token in jieba.cut_for_search(text or ""):
        token = token.strip().lower()
        if not token or not _WORD.fullmatch(token) or token in STOP:
            continue
        if len(token) == 1 and not token.isascii():
            continue
        out.append(token)
    return out


def _levels(code: str) -> set[str]:
    try:
        return {v for v in parse_ipc(code).levels.values() if v}
    except IdentifierError:
        return set()


class Backend(SearchBackend):
    name = "memory"
    k1, b = 1.2, 0.75

    def __init__(self):
        self.docs: dict[int, PatentDocument] = {}
        self.tf: dict[int, Counter] = {}
        self.df: Counter = Counter()
        self.length: dict[int, int] = {}

    @classmethod
    def from_settings(cls, settings) -> Backend:
        return cls()

    # writing ---------------------------------------------------------------------------------
    def index_one(self, document: PatentDocument) -> None:
        self.delete(document.id)
        terms = tokens(" ".join([document.title, document.title, document.abstract, document.claims]))
        tf = Counter(terms)
        self.docs[document.id] = document
        self.tf[document.id] = tf
        self.length[document.id] = max(1, len(terms))
        self.df.update(tf.keys())

    def index_many(self, documents: Iterable[PatentDocument], *, progress=None) -> int:
        n = 0
        for document in documents:
            self.index_one(document)
            n += 1
            if progress:
                progress(1)
        return n

    def delete(self, patent_id: int) -> None:
        tf = self.tf.pop(patent_id, None)
        if tf is not None:
            self.df.subtract(tf.keys())
            self.docs.pop(patent_id, None)
            self.length.pop(patent_id, None)

    def rebuild(self, documents: Iterable[PatentDocument], *, progress=None) -> int:
        self.__init__()
        return self.index_many(documents, progress=progress)

    def count(self) -> int:
        return len(self.docs)

    def fingerprints(self) -> dict[int, str]:
        return {pk: document_fingerprint(doc) for pk, doc in self.docs.items()}

    # reading ---------------------------------------------------------------------------------
    def _passes(self, doc: PatentDocument, filters: SearchFilters) -> bool:
        if filters.ids is not None and doc.id not in filters.ids:
            return False
        if filters.ipc:
            wanted = str(parse_ipc(filters.ipc))
            if not any(wanted in _levels(code) for code in doc.ipc_codes):
                return False
        if filters.legal_status and doc.legal_status != filters.legal_status:
            return False
        if filters.zone and filters.zone not in doc.zones:
            return False
        if filters.industry and filters.industry not in doc.industries:
            return False
        if filters.applicant and filters.applicant not in doc.applicants:
            return False
        if filters.kind and doc.kind != filters.kind:
            return False
        return True

    def _rank(self, terms: list[str], filters: SearchFilters, limit: int, *, require_all: bool) -> list[Hit]:
        n = max(1, len(self.docs))
        avg = sum(self.length.values()) / n if self.docs else 1.0
        unique = list(dict.fromkeys(terms))
        hits = []
        for doc_id, tf in self.tf.items():
            matched = [t for t in unique if tf.get(t)]
            if not matched or (require_all and len(matched) < len(unique)):
                continue
            doc = self.docs[doc_id]
            if not self._passes(doc, filters):
                continue
            score = 0.0
            for term in matched:
                idf = math.log(1 + (n - self.df[term] + 0.5) / (self.df[term] + 0.5))
                f = tf[term]
                score += idf * f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * self.length[doc_id] / avg))
            hits.append(Hit(id=doc_id, publication_number=doc.publication_number, title=doc.title, score=score,
                            matched_terms=tuple(matched)))
        hits.sort(key=lambda h: (-h.score, h.id))
        return hits[:limit]

    def search(self, query: SearchQuery) -> SearchResult:
        terms = tokens(query.text)
        if terms:
            hits = self._rank(terms, query.filters, len(self.docs), require_all=True)
        else:
            hits = [Hit(id=d.id, publication_number=d.publication_number, title=d.title, score=0.0)
                    for d in self.docs.values() if self._passes(d, query.filters)]
        start = (query.page - 1) * query.page_size
        return SearchResult(total=len(hits), hits=hits[start:start + query.page_size], page=query.page,
                            page_size=query.page_size)

    def autocomplete(self, prefix: str, *, field: str = "title", limit: int = 10) -> list[str]:
        values = (d.title for d in self.docs.values()) if field == "title" else (
            a for d in self.docs.values() for a in d.applicants)
        return sorted({v for v in values if v.startswith(prefix)})[:limit]

    def more_like_this(self, *, patent_id=None, text="", filters=None, limit=10) -> list[Hit]:
        if patent_id is not None:
            doc = self.docs.get(patent_id)
            text = f"{doc.title} {doc.abstract}" if doc else ""
        hits = self._rank(tokens(text), filters or SearchFilters(), limit + 1, require_all=False)
        return [h for h in hits if h.id != patent_id][:limit]


__all__ = ["Backend", "tokens", "IPC_LEVELS"]
