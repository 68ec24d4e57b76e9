"""Query parameters → ``SearchQuery``, shared by the API and the search page.

Every malformed value raises ``SearchParamError`` naming the parameter (the API answers 400, the page shows
the message); values that are well-formed but unknown (a zone nobody has) simply find nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, overload

from search.facets import REGISTRY, VALUE_FACETS
from search.interface import MAX_PAGE_SIZE, MAX_QUERY_LENGTH, SORTS, SearchFilters, SearchQuery

MIN_YEAR, MAX_YEAR = 1985, 2100  # the Chinese patent system starts on 1985-04-01
MAX_PAGE = 500
MAX_VALUE_LENGTH = 200
#: every query parameter, the facet parameters taken from the registry (``search.facets``)
PARAMS = tuple(
    dict.fromkeys(["q", *(f.param for f in REGISTRY), "year_to", "sort", "page", "page_size"])
)


@dataclass
class SearchParamError(ValueError):
    param: str
    message: str

    def __str__(self) -> str:
        return f"{self.param}: {self.message}"


@overload
def _int(params, name: str, default: int, low: int, high: int) -> int: ...
@overload
def _int(params, name: str, default: None, low: int, high: int) -> int | None: ...
def _int(params, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SearchParamError(name, f"应为整数 / must be an integer, got {raw[:40]!r}") from None
    if not low <= value <= high:
        raise SearchParamError(name, f"应在 {low}–{high} 之间 / must be between {low} and {high}, got {value}")
    return value


def _text(params, name: str, limit: int = MAX_VALUE_LENGTH) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > limit:
        raise SearchParamError(name, f"过长（最多 {limit} 个字符）/ too long (at most {limit} characters)")
    if "\x00" in value:
        raise SearchParamError(name, "含有非法字符 / contains a NUL character")
    return value


def parse_search_params(params, *, default_page_size: int = 20) -> SearchQuery:
    from listings.catalogue.identifiers import IdentifierError, parse_ipc

    text = _text(params, "q", MAX_QUERY_LENGTH)
    ipc = _text(params, "ipc", 40)
    if ipc:
        try:
            ipc = str(parse_ipc(ipc))
        except IdentifierError as exc:
            raise SearchParamError("ipc", str(exc)) from None
    values: dict[str, Any] = {}  # SearchFilters attribute (named by the facet registry) → value
    for facet in VALUE_FACETS:
        if facet.choices is not None:
            value = _text(params, facet.param, 40)
            allowed = [v for v, _ in facet.choices()]
            if value and value not in allowed:
                raise SearchParamError(
                    facet.param, f"应为 {', '.join(allowed)} 之一 / unknown {facet.label_en.lower()} {value!r}"
                )
        else:
            value = _text(params, facet.param)
        values[facet.filter_attr] = value
    year_from = _int(params, "year_from", None, MIN_YEAR, MAX_YEAR)
    year_to = _int(params, "year_to", None, MIN_YEAR, MAX_YEAR)
    if year_from is not None and year_to is not None and year_from > year_to:
        raise SearchParamError("year_to", f"不能早于 year_from / must not be before year_from ({year_from})")
    sort = _text(params, "sort", 20) or "relevance"
    if sort not in SORTS:
        raise SearchParamError("sort", f"应为 {', '.join(SORTS)} 之一 / must be one of {', '.join(SORTS)}")
    page = _int(params, "page", 1, 1, MAX_PAGE)
    page_size = _int(params, "page_size", default_page_size, 1, MAX_PAGE_SIZE)
    return SearchQuery(
        text=text,
        filters=SearchFilters(ipc=ipc, year_from=year_from, year_to=year_to, **values),
        sort=sort,
        page=page,
        page_size=page_size,
    )
