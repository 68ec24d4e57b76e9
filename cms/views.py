"""The patent pages of the exhibition site. Thin: parse the query, call selectors, render."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cms import selectors as cms_selectors
from listings.catalogue import selectors as listing_selectors
from listings.catalogue.models import Patent
from listings.trading import permissions as listing_permissions
from listings.trading import selectors as trading_selectors
from listings.trading.models import PUBLIC_STATUSES, Listing
from marketplace import permissions
from search import selectors as search_selectors

PATENTS_PER_PAGE = 20
FILTER_PARAMS = ("zone", "industry", "section", "ipc", "kind", "status", "applicant", "year_from", "year_to", "listed")


def _filter_context(request: HttpRequest, filters) -> dict:
    """What the shared filter form needs: the values sent, the options, and any named errors."""
    return {
        "filters": filters,
        "filter_errors": filters.errors,
        "selected": {name: (request.GET.get(name) or "").strip() for name in FILTER_PARAMS},
        "choices": cms_selectors.patent_filter_choices(),
        "applicant_choices": listing_selectors.patentee_choices(),
        "is_filtered": any((request.GET.get(name) or "").strip() for name in FILTER_PARAMS),
    }


def patent_list(request: HttpRequest) -> HttpResponse:
    filters = cms_selectors.patent_filters_from_query(request.GET)
    listed_only = (request.GET.get("listed") or "").strip() == "true"
    patents = listing_selectors.patent_list(filters=filters)
    if listed_only:
        patents = cms_selectors.listed_only(patents)
    page = Paginator(patents, PATENTS_PER_PAGE).get_page(request.GET.get("page"))
    kept = request.GET.copy()
    kept.pop("page", None)
    cards = search_selectors.hit_cards(patent.pk for patent in page.object_list)
    for patent in page.object_list:
        setattr(patent, "card", cards.get(patent.pk))  # noqa: B010  # the template's offer badge
    toggled = request.GET.copy()
    toggled.pop("page", None)
    if listed_only:
        toggled.pop("listed", None)
    else:
        toggled["listed"] = "true"
    context = {
        **_filter_context(request, filters),
        "page_obj": page,
        "patents": page.object_list,
        "query_without_page": kept.urlencode(),
        "listed_only": listed_only,
        "listed_toggle_query": toggled.urlencode(),
    }
    return render(request, "cms/patent_list.html", context, status=200 if filters.is_valid else 400)


def patent_map(request: HttpRequest) -> HttpResponse:
    """专利地图: filing trend, top applicants, IPC distribution and legal-status mix, with the list's filters."""
    filters = cms_selectors.patent_filters_from_query(request.GET)
    kept = request.GET.copy()
    kept.pop("page", None)
    patent_map = cms_selectors.patent_map(filters=filters)
    context = {
        **_filter_context(request, filters),
        "map": patent_map,
        "charts": patent_map.charts(),
        "query": kept.urlencode(),
    }
    return render(request, "cms/patent_map.html", context, status=200 if filters.is_valid else 400)


def patent_detail(request: HttpRequest, publication_number: str) -> HttpResponse:
    try:
        patent = listing_selectors.patent_get(publication_number=publication_number)
    except Patent.DoesNotExist:
        raise Http404(publication_number) from None
    context = {
        "patent": patent,
        "ipc_lines": cms_selectors.patent_ipc_lines(patent=patent),
        "publications": cms_selectors.patent_publication_lines(patent=patent),
        "sources": cms_selectors.patent_sources(patent=patent),
        # the trading side: this patent's public listings, and a "list it" link for those who may list
        "listings": Listing.objects.filter(patents=patent, status__in=PUBLIC_STATUSES).select_related("organisation"),
        "lister_organisations": permissions.organisations_for(request.user, listing_permissions.LISTING_ROLES),
        "listable": trading_selectors.patent_is_listable(patent),
    }
    return render(request, "cms/patent_detail.html", context)
