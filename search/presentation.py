"""Turning a ``SearchResult`` into what people read: facet labels (IPC titles in the active language, zone
and industry names, status and kind labels), the IPC drill-down and links to patent pages.
Used by the API and the search page alike.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language

from search.facets import IPC_FACETS, REGISTRY
from search.interface import FacetValue, Hit, SearchFilters, SearchResult


def _english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


def facet_labels(facets: Mapping[str, Sequence[FacetValue]]) -> dict[str, dict[str, str]]:
    """Labels of the facet values in the active language, from the per-process catalogue names
    (``listings.catalogue.labels``: no query unless the IPC scheme, a zone or an industry changed)."""
    from listings.catalogue.labels import catalogue_labels

    catalogue = catalogue_labels()
    labels: dict[str, dict[str, str]] = {name: {} for name in facets}
    codes = {fv.value for name in IPC_FACETS for fv in facets.get(name, ())}
    if codes:
        for name in IPC_FACETS:
            labels[name] = {fv.value: catalogue.ipc.get(fv.value, "") for fv in facets.get(name, ())}
    by_titles = {"zone": catalogue.zone, "industry": catalogue.industry}
    for facet in REGISTRY:
        values = [fv.value for fv in facets.get(facet.name, ())]
        if facet.titles in by_titles and values:
            wanted = set(values)
            labels[facet.name] = {code: name for code, name in by_titles[facet.titles].items() if code in wanted}
        elif facet.titles == "choices":
            assert facet.choices is not None  # every "choices" facet declares them
            names = dict(facet.choices())
            labels[facet.name] = {v: str(names.get(v, v)) for v in values}
    return labels


def ipc_drilldown(result: SearchResult, filters: SearchFilters, labels: dict[str, dict[str, str]]) -> dict:
    """The IPC level to show next (children of the selected code) and the path of selected ancestors."""
    from listings.catalogue.identifiers import parse_ipc

    path = []
    level_index = 0
    selected = ""
    if filters.ipc:
        code = parse_ipc(filters.ipc)
        for i, level in enumerate(("section", "class", "subclass", "main_group")):
            value = code.at(level)
            if value:
                path.append({"code": value, "title": _ipc_title(value, labels, IPC_FACETS[i])})
                level_index = i + 1
                selected = value
    children = []
    if level_index < len(IPC_FACETS):
        name = IPC_FACETS[level_index]
        prefix = selected.split("/")[0] if selected else ""
        for fv in result.facets.get(name, ()):
            if fv.value.startswith(prefix):
                children.append({"code": fv.value, "count": fv.count, "title": labels.get(name, {}).get(fv.value, "")})
    return {"path": path, "level": IPC_FACETS[level_index] if level_index < len(IPC_FACETS) else "", "children": children}


def _ipc_title(code: str, labels, name: str) -> str:
    title = labels.get(name, {}).get(code)
    if title is None:
        from listings.catalogue.labels import catalogue_labels

        title = catalogue_labels().ipc.get(code, "")
    return title


def patent_url(hit: Hit) -> str | None:
    try:
        return reverse("cms:patent-detail", args=[hit.publication_number])
    except NoReverseMatch:
        return None


def ipc_search_url(code: str) -> str:
    """The field search for an IPC code (patent pages link their codes here)."""
    from urllib.parse import urlencode

    return reverse("search:page") + "?" + urlencode({"ipc": code})
