"""The search page (/search/): query box, facet sidebar with the IPC drill-down, sort, snippets, pages."""
from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from search.facets import REGISTRY, facet_params
from search.interface import SearchResult
from search.params import PARAMS, SearchParamError, parse_search_params
from search.presentation import facet_labels, ipc_drilldown, patent_url
from search.selectors import hit_cards, search_patents

SIDEBAR_VALUES = 12


def _url(params: dict, **changes) -> str:
    merged = {k: v for k, v in params.items() if k in PARAMS and v not in ("", None)}
    for key, value in changes.items():
        if value in ("", None):
            merged.pop(key, None)
        else:
            merged[key] = value
    if "page" not in changes:
        merged.pop("page", None)  # a new filter or sort starts again at page 1
    return "?" + urlencode(merged)


def search_page(request):
    params = {k: request.GET.get(k, "") for k in PARAMS}
    error = None
    try:
        query = parse_search_params(request.GET)
    except SearchParamError as exc:
        error = exc
        query = None
    result = SearchResult(total=0, hits=[])
    if query is not None:
        result = search_patents(query)
    labels = facet_labels(result.facets) if result.facets else {}
    sidebar = []
    english = (get_language() or "").lower().startswith("en")
    for facet in REGISTRY:
        if not facet.sidebar:
            continue
        name = facet.name
        values = result.facets.get(name, [])[:SIDEBAR_VALUES]
        items = []
        for fv in values:
            wanted = facet_params(name, fv.value)
            selected = all(params.get(k) == v for k, v in wanted.items())
            url = _url(params, **{k: "" if selected else v for k, v in wanted.items()})
            items.append(
                {"value": fv.value, "label": labels.get(name, {}).get(fv.value) or fv.value, "count": fv.count,
                 "url": url, "selected": selected}
            )
        sidebar.append({"name": name, "title": facet.label_en if english else facet.label_zh, "items": items})
    ipc = ipc_drilldown(result, query.filters, labels) if query else {"path": [], "children": [], "level": ""}
    for node in ipc["path"]:
        node["url"] = _url(params, ipc=node["code"])
    for node in ipc["children"]:
        node["url"] = _url(params, ipc=node["code"])
    cards = hit_cards(hit.id for hit in result.hits)
    page = query.page if query else 1
    page_size = query.page_size if query else 20
    last_page = max(1, min((result.total + page_size - 1) // page_size, 500))
    context = {
        "params": params,
        "error": error,
        "result": result,
        "hits": [{"hit": hit, "url": patent_url(hit), "card": cards.get(hit.id)} for hit in result.hits],
        "listed_only": params.get("listed") == "true",
        "listed_url": _url(params, listed="" if params.get("listed") == "true" else "true"),
        "sidebar": sidebar,
        "ipc": ipc,
        "ipc_clear_url": _url(params, ipc=""),
        "sorts": [
            {"value": v, "label": label, "url": _url(params, sort=v), "selected": (params["sort"] or "relevance") == v}
            for v, label in (("relevance", _("相关度")), ("newest", _("最新")), ("oldest", _("最早")))
        ],
        "suggestions": [
            {"kind": s.kind, "label": s.label_en if english else s.label_zh, "total": s.total,
             "url": _url(params, **s.params)}
            for s in result.suggestions
        ],
        "fields": [{"code": f.code, "title": f.title, "url": _url(params, ipc=f.code)} for f in result.suggested_fields],
        "page": page,
        "last_page": last_page,
        "prev_url": _url(params, page=page - 1) if page > 1 else None,
        "next_url": _url(params, page=page + 1) if page < last_page else None,
    }
    return render(request, "search/search.html", context, status=400 if error else 200)
