"""The facet registry: one ``Facet`` entry per facet, iterated by the engines, parameter parsing, views,
presentation and the API schema (adding a facet is one entry here; see docs/search.md)."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.functional import Promise

#: IPC level (``listings.catalogue.identifiers.IPC_LEVELS``) → facet name
IPC_FACET_BY_LEVEL = {
    "section": "ipc_section",
    "class": "ipc_class",
    "subclass": "ipc_subclass",
    "main_group": "ipc_main_group",
    "subgroup": "ipc_subgroup",
}


def ipc_levels(code: str) -> dict[str, str]:
    """Facet name → value for every level of an IPC code ({} when the code does not parse)."""
    return dict(_ipc_levels(code))


@functools.lru_cache(maxsize=200_000)
def _ipc_levels(code: str) -> tuple[tuple[str, str], ...]:
    """Parsed once per code: an index build meets the same codes again and again."""
    from listings.catalogue.identifiers import IdentifierError, parse_ipc

    try:
        parsed = parse_ipc(code)
    except IdentifierError:
        return ()
    return tuple((IPC_FACET_BY_LEVEL[level], value) for level, value in parsed.levels.items() if value)


def _ipc_values(level: str) -> Callable:
    def values(doc) -> list[str]:
        out: list[str] = []
        for code in doc.ipc_codes:
            value = ipc_levels(code).get(level)
            if value and value not in out:
                out.append(value)
        return out

    return values


def _legal_status_choices() -> list[tuple[str, str | Promise]]:
    from listings.catalogue.models import LegalStatus

    return list(LegalStatus.choices)


def _kind_choices() -> list[tuple[str, str | Promise]]:
    from listings.catalogue.models import PatentKind

    return list(PatentKind.choices)


def _listed_choices() -> list[tuple[str, str | Promise]]:
    from django.utils.translation import gettext_lazy

    return [("true", gettext_lazy("仅看已挂牌"))]


@dataclass(frozen=True)
class Facet:
    """One facet.

    * ``name``: key in ``SearchResult.facets`` and the API's ``facets`` object;
    * ``param``: the query parameter that filters by it (``ipc`` for every IPC level; ``year_from``/``year_to``
      for the year);
    * ``filter_attr``: the ``SearchFilters`` attribute the parameter fills;
    * ``es_field``: the Elasticsearch keyword (or integer) field aggregated and filtered;
    * ``label_zh``/``label_en``: the sidebar title;
    * ``kind``: ``keyword`` (free value), ``choice`` (one of ``choices()``, (value, label) pairs), ``ipc`` (an IPC level), ``year``;
    * ``multi``: a document may hold several values;
    * ``values``: the document's values (``PatentDocument`` → list of strings);
    * ``titles``: how value labels are looked up (``ipc``, ``zone``, ``industry``, ``choices`` or ``""``);
    * ``counted``: reported in results (``False``: a filter-only level, the IPC subgroup);
    * ``sidebar``: shown in the page's generic sidebar (the IPC levels have their own drill-down).
    """

    name: str
    param: str
    filter_attr: str
    es_field: str
    label_zh: str
    label_en: str
    kind: str
    multi: bool
    values: Callable = field(compare=False, repr=False)
    titles: str = ""
    choices: Callable[[], list[tuple[str, str | Promise]]] | None = field(default=None, compare=False, repr=False)
    counted: bool = True
    sidebar: bool = True
    description: str = ""


REGISTRY: tuple[Facet, ...] = (
    Facet("ipc_section", "ipc", "ipc", "ipc_section", "IPC 部", "IPC section", "ipc", True,
          _ipc_values("ipc_section"), titles="ipc", sidebar=False),
    Facet("ipc_class", "ipc", "ipc", "ipc_class", "IPC 大类", "IPC class", "ipc", True,
          _ipc_values("ipc_class"), titles="ipc", sidebar=False),
    Facet("ipc_subclass", "ipc", "ipc", "ipc_subclass", "IPC 小类", "IPC subclass", "ipc", True,
          _ipc_values("ipc_subclass"), titles="ipc", sidebar=False),
    Facet("ipc_main_group", "ipc", "ipc", "ipc_main_group", "IPC 大组", "IPC main group", "ipc", True,
          _ipc_values("ipc_main_group"), titles="ipc", sidebar=False),
    Facet("ipc_subgroup", "ipc", "ipc", "ipc_subgroup", "IPC 小组", "IPC subgroup", "ipc", True,
          _ipc_values("ipc_subgroup"), titles="ipc", counted=False, sidebar=False),
    Facet("zone", "zone", "zone", "zone", "实验区", "Zone", "keyword", True,
          lambda doc: list(doc.zones), titles="zone", description="experimental zone code"),
    Facet("industry", "industry", "industry", "industry", "产业", "Industry", "keyword", True,
          lambda doc: list(doc.industries), titles="industry", description="industry code"),
    Facet("applicant", "applicant", "applicant", "applicants", "申请人", "Applicant", "keyword", True,
          lambda doc: [a for a in doc.applicants if a], description="applicant name, exactly as in the facet"),
    Facet("legal_status", "status", "legal_status", "legal_status", "法律状态", "Legal status", "choice", False,
          lambda doc: [doc.legal_status] if doc.legal_status else [], titles="choices",
          choices=_legal_status_choices, description="legal status"),
    Facet("kind", "kind", "kind", "kind", "专利类型", "Patent kind", "choice", False,
          lambda doc: [doc.kind] if doc.kind else [], titles="choices", choices=_kind_choices,
          description="patent kind"),
    Facet("listed", "listed", "listed", "listed", "已挂牌", "Listed", "choice", False,
          lambda doc: ["true"] if doc.listed else [], titles="choices", choices=_listed_choices,
          counted=False, sidebar=False, description="true: only patents with a published listing on the exchange"),
    Facet("application_year", "year_from", "year_from", "application_year", "申请年份", "Application year",
          "year", False, lambda doc: [str(doc.filing_year)] if doc.filing_year else []),
)

BY_NAME = {facet.name: facet for facet in REGISTRY}
#: the facets every engine reports, in display order
COUNTED = tuple(f for f in REGISTRY if f.counted)
COUNTED_NAMES = tuple(f.name for f in COUNTED)
#: facets filtered by a plain ``SearchFilters`` attribute equal to one value (keyword and choice kinds)
VALUE_FACETS = tuple(f for f in REGISTRY if f.kind in ("keyword", "choice"))
IPC_FACETS = tuple(f.name for f in REGISTRY if f.kind == "ipc" and f.counted)


def document_facets(doc) -> list[tuple[str, str]]:
    """Every (facet, value) of a document, each once, in registry order."""
    pairs: list[tuple[str, str]] = []
    for facet in REGISTRY:
        pairs.extend((facet.name, value) for value in facet.values(doc))
    return list(dict.fromkeys(pairs))


def filter_pairs(filters) -> list[tuple[str, str]] | None:
    """The (facet, value) pairs a ``SearchFilters`` requires (the IPC filter at its own level; years apart).

    Returns ``None`` when the IPC filter does not parse (nothing can match)."""
    pairs: list[tuple[str, str]] = []
    if filters.ipc:
        from listings.catalogue.identifiers import IdentifierError, parse_ipc

        try:
            level = parse_ipc(filters.ipc).level
        except IdentifierError:
            return None
        name = IPC_FACET_BY_LEVEL[level]
        pairs.append((name, ipc_levels(filters.ipc)[name]))
    for facet in VALUE_FACETS:
        value = getattr(filters, facet.filter_attr)
        if value:
            pairs.append((facet.name, value))
    return pairs


def facet_filter(name: str, value: str) -> dict:
    """``SearchFilters`` keyword arguments that select exactly the documents counted under (name, value)."""
    facet = BY_NAME[name]
    if facet.kind == "year":
        return {"year_from": int(value), "year_to": int(value)}
    return {facet.filter_attr: value}


def facet_params(name: str, value: str) -> dict[str, str]:
    """Query parameters that select (name, value): what a sidebar link adds."""
    facet = BY_NAME[name]
    if facet.kind == "year":
        return {"year_from": value, "year_to": value}
    return {facet.param: value}


def labels_in(language_english: bool, facets: Iterable[Facet] = REGISTRY) -> dict[str, str]:
    return {f.name: (f.label_en if language_english else f.label_zh) for f in facets}
