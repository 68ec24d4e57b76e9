"""The one search interface. Every engine implements ``SearchBackend``; everything else in the
project (pages, API, matching) talks only to this module and ``search.get_search_backend()``.

Requests and responses are frozen dataclasses so engines cannot leak their own types.
"""
from __future__ import annotations

import abc
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from search.facets import COUNTED_NAMES

#: the facets every engine computes, in display order (from the registry in ``search.facets``)
FACETS = COUNTED_NAMES
SORTS = ("relevance", "newest", "oldest")
MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 500


@dataclass(frozen=True)
class PatentDocument:
    """What is indexed for one patent (built by ``search.documents.patent_document``)."""

    id: int
    publication_number: str
    title: str
    abstract: str = ""
    claims: str = ""
    applicants: tuple[str, ...] = ()
    inventors: tuple[str, ...] = ()
    ipc_codes: tuple[str, ...] = ()  # normalised full codes, main first
    zones: tuple[str, ...] = ()  # zone codes
    industries: tuple[str, ...] = ()  # industry codes
    legal_status: str = ""
    kind: str = ""
    application_date: dt.date | None = None
    listed: bool = False  # has a published listing on the exchange
    application_number: str = ""  # found by number search with or without its check digit
    application_year: int | None = None  # the filing year, also when only the year is known (no date)

    @property
    def filing_year(self) -> int | None:
        """The year of the filing date, else the filing year alone (records that carry no date)."""
        return self.application_date.year if self.application_date else self.application_year

    @property
    def filing_sort_date(self) -> dt.date | None:
        """What the date sort uses: the filing date, else 1 January of the filing year."""
        if self.application_date:
            return self.application_date
        return dt.date(self.application_year, 1, 1) if self.application_year else None


@dataclass(frozen=True)
class SearchFilters:
    ipc: str = ""  # any level, normalised (H, H04, H04B, H04B10/00, H04B10/25)
    zone: str = ""
    industry: str = ""
    applicant: str = ""
    legal_status: str = ""
    kind: str = ""
    listed: str = ""  # "true": only patents with a published listing
    year_from: int | None = None
    year_to: int | None = None
    ids: tuple[int, ...] | None = None  # restrict to these patent ids (used by matching)


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    facets: bool = True
    highlight: bool = True


@dataclass(frozen=True)
class Hit:
    id: int
    publication_number: str
    title: str
    score: float
    highlights: dict[str, str] = field(default_factory=dict)  # field → HTML-safe snippet with <mark>
    matched_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


class FacetBuckets(Sequence[FacetValue]):
    """One facet's buckets, best first: the values and their exact counts, with a ``FacetValue`` built only
    for the buckets read (a page shows about a dozen of up to 200). Equal to a list of the same values."""

    __slots__ = ("_values", "_counts", "_built")

    def __init__(self, values: list[str], counts: list[int]):
        if len(values) != len(counts):
            raise ValueError("a facet needs one count per value")
        self._values, self._counts = values, counts
        self._built: dict[int, FacetValue] = {}

    def __len__(self) -> int:
        return len(self._values)

    def _at(self, index: int) -> FacetValue:
        built = self._built.get(index)
        if built is None:
            built = self._built[index] = FacetValue(self._values[index], self._counts[index])
        return built

    @overload
    def __getitem__(self, index: int) -> FacetValue: ...
    @overload
    def __getitem__(self, index: slice) -> list[FacetValue]: ...
    def __getitem__(self, index: int | slice) -> FacetValue | list[FacetValue]:
        if isinstance(index, slice):
            return [self._at(i) for i in range(*index.indices(len(self._values)))]
        if index < 0:
            index += len(self._values)
        if not 0 <= index < len(self._values):
            raise IndexError("facet bucket index out of range")
        return self._at(index)

    def __iter__(self) -> Iterator[FacetValue]:
        return (self._at(i) for i in range(len(self._values)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FacetBuckets):
            return self._values == other._values and self._counts == other._counts
        if isinstance(other, (list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, like the list it stands for

    def __repr__(self) -> str:
        return f"FacetBuckets({list(self)!r})"


@dataclass(frozen=True)
class Suggestion:
    """Another search worth trying when the result is empty or thin.

    ``kind``: ``drop_word`` (search without one word), ``widen`` (remove a filter), ``ipc`` (search in the IPC
    subclass most common among the hits). ``params`` are the query parameters to change ("" removes one).
    """

    kind: str
    params: dict[str, str]
    label_zh: str
    label_en: str
    total: int | None = None  # results it would give, when known


@dataclass(frozen=True)
class FieldSuggestion:
    """A technology field (IPC subclass) predicted for a sentence query, with its Chinese title."""

    code: str
    title: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, Sequence[FacetValue]] = field(default_factory=dict)  # counts over the results shown
    page: int = 1
    page_size: int = 20
    partial: bool = False  # some results hold only part of the words (部分匹配)
    words: tuple[str, ...] = ()  # the informative words searched (after stop-words and numbers)
    dropped_words: tuple[str, ...] = ()  # stop-words left out of the query
    ipc_from_query: str = ""  # an IPC code typed in the query and applied as the IPC filter
    numbers_found: tuple[int, ...] = ()  # patents found by their publication or application number
    suggestions: tuple[Suggestion, ...] = ()
    suggested_fields: tuple[FieldSuggestion, ...] = ()


class Unsupported(NotImplementedError):
    """An engine cannot do this; the contract suite skips with the reason."""


ProgressCallback = Callable[[int], None]


class SearchBackend(abc.ABC):
    name: str = "abstract"

    @abc.abstractmethod
    def index_one(self, document: PatentDocument) -> None: ...

    @abc.abstractmethod
    def index_many(self, documents: Iterable[PatentDocument], *, progress: ProgressCallback | None = None) -> int: ...

    @abc.abstractmethod
    def delete(self, patent_id: int) -> None: ...

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult: ...

    @abc.abstractmethod
    def autocomplete(self, prefix: str, *, field: str = "title", limit: int = 10) -> list[str]:
        """Completions for titles (``field="title"``) or applicants (``field="applicant"``)."""

    @abc.abstractmethod
    def more_like_this(
        self,
        *,
        patent_id: int | None = None,
        text: str = "",
        filters: SearchFilters | None = None,
        limit: int = 10,
    ) -> list[Hit]: ...

    @abc.abstractmethod
    def rebuild(self, documents: Iterable[PatentDocument], *, progress: ProgressCallback | None = None) -> int:
        """Replace the whole index; search keeps answering from the old one until the swap."""

    @abc.abstractmethod
    def count(self) -> int: ...

    @abc.abstractmethod
    def fingerprints(self) -> dict[int, str]:
        """Every indexed patent id with the ``document_fingerprint`` of what is stored for it (drift checks)."""


def document_fingerprint(doc: PatentDocument) -> str:
    """A digest of what an engine stores and shows for a patent: equal for the database's document and the
    indexed one when the index is current. The application number is left out: engines keep it only as
    search keys, not as a field they return."""
    values = [
        doc.publication_number, doc.title, doc.abstract or "", doc.claims or "", list(doc.applicants),
        list(doc.inventors), list(doc.ipc_codes), sorted(doc.zones), sorted(doc.industries), doc.legal_status or "",
        doc.kind or "", doc.application_date.isoformat() if doc.application_date else "", bool(doc.listed),
    ]
    return hashlib.sha1(json.dumps(values, ensure_ascii=False).encode(), usedforsecurity=False).hexdigest()
