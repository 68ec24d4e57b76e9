"""Reads for matching: a demand's ranked matches, the demands that match an organisation's patents,
and what a saved search finds today. Pages, the API and the alert task call these; nothing here writes."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from listings.demands import permissions as demand_permissions
from listings.demands.models import Demand, DemandStatus
from listings.matching.models import DemandMatch
from listings.trading.models import Listing
from marketplace import permissions

#: the query parameters a saved search keeps, per scope (those of /search/ and /listings/)
SAVED_SEARCH_PARAMS = {
    "patents": ("q", "ipc", "zone", "industry", "applicant", "status", "kind", "year_from", "year_to"),
    "listings": ("q", "deal_type", "licence_kind", "ipc", "industry", "zone", "price_min", "price_max", "negotiable"),
}


def can_view_demand_matches(user, demand: Demand) -> bool:
    """A demand's matches are its organisation's business (and the operators'), and follow the demand's own
    permission: a member who may not see the demand (a lender, say, and a private draft) does not see its matches."""
    if permissions.is_operator(user):
        return True
    return permissions.is_member(user, demand.organisation) and demand_permissions.can_view_demand(user, demand)


def demand_matches(*, demand: Demand, limit: int = 20) -> QuerySet[DemandMatch]:
    """The demand's current matches, best first."""
    return (
        DemandMatch.objects.filter(demand=demand, is_current=True)
        .select_related("patent", "listing")
        .order_by("-score", "patent_id")[:limit]
    )


def matching_demands_for_user(*, user) -> QuerySet[DemandMatch]:
    """Current matches of published demands on patents the user's organisations hold or list.

    The holders' view: who is looking for what we own. Matches of the user's own demands are left out.
    """
    organisations = permissions.organisations_for(user)
    if not organisations.exists():
        return DemandMatch.objects.none()
    return (
        DemandMatch.objects.filter(is_current=True, demand__status=DemandStatus.PUBLISHED)
        .filter(Q(patent__holders__in=organisations) | Q(listing__organisation__in=organisations))
        .exclude(demand__organisation__in=organisations)
        .select_related("demand", "demand__organisation", "patent", "listing")
        .order_by("-score", "demand_id", "patent_id")
        .distinct()
    )


def _patent_hits(params: dict, limit: int) -> list[tuple[int, str, str]]:
    """What /search/ shows for these parameters (parsed by the search page's own parser), newest first."""
    from dataclasses import replace

    from django.urls import reverse

    from search import get_search_backend
    from search.params import SearchParamError, parse_search_params

    try:
        query = parse_search_params(params)
    except SearchParamError:
        return []
    query = replace(query, sort="newest", page=1, page_size=limit, facets=False, highlight=False)
    result = get_search_backend().search(query)
    return [
        (hit.id, f"{hit.publication_number} {hit.title}", reverse("cms:patent-detail", args=[hit.publication_number]))
        for hit in result.hits
    ]


def listing_search(params: dict) -> QuerySet[Listing]:
    """What /listings/ shows for these parameters (the board's own filters), newest first."""
    from listings.trading.selectors import ListingFilters, listing_board

    return listing_board(filters=ListingFilters.from_query(params)).order_by("-published_at", "-pk")


def saved_search_hits(*, scope: str, params: dict, limit: int = 100) -> list[tuple[int, str, str]]:
    """(id, label, url) of what the saved query finds now, newest first."""
    if scope == "patents":
        return _patent_hits(params, limit)
    return [(listing.pk, listing.title, listing_url(listing)) for listing in listing_search(params)[:limit]]


def listing_url(listing: Listing) -> str:
    """The listing's page (``/listings/<id>/`` while the listing pages are not mounted)."""
    from django.urls import NoReverseMatch

    try:
        return listing.get_absolute_url()
    except NoReverseMatch:
        return f"/listings/{listing.pk}/"


def saved_searches_for(*, user):
    from listings.matching.models import SavedSearch

    return SavedSearch.objects.filter(user=user).order_by("-created_at", "-pk")
