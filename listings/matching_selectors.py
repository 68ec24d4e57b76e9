"""Reads for matching: a demand's ranked matches, the demands that match an organisation's patents,
and what a saved search finds today. Pages, the API and the alert task call these; nothing here writes."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from listings.identifiers import IdentifierError, parse_ipc
from listings.models import Demand, DemandMatch, Listing, PatentIpc
from listings.models.demands import DemandStatus
from listings.models.trading import PUBLIC_STATUSES
from marketplace import permissions

#: the query parameters a saved search keeps, per scope (those of /search/ and /listings/)
SAVED_SEARCH_PARAMS = {
    "patents": ("q", "ipc", "zone", "industry", "applicant", "legal_status", "status", "kind", "year_from", "year_to"),
    "listings": ("q", "deal_type", "zone", "industry", "ipc"),
}


def can_view_demand_matches(user, demand: Demand) -> bool:
    """A demand's matches are its organisation's business (and the operators')."""
    return permissions.is_member(user, demand.organisation) or permissions.is_operator(user)


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


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _patent_hits(params: dict, limit: int) -> list[tuple[int, str, str]]:
    from django.urls import reverse

    from search import get_search_backend
    from search.interface import SearchFilters, SearchQuery

    ipc = params.get("ipc", "")
    if ipc:
        try:
            ipc = str(parse_ipc(ipc))
        except IdentifierError:
            return []
    filters = SearchFilters(
        ipc=ipc,
        zone=params.get("zone", ""),
        industry=params.get("industry", ""),
        applicant=params.get("applicant", ""),
        legal_status=params.get("legal_status", "") or params.get("status", ""),
        kind=params.get("kind", ""),
        year_from=_int(params.get("year_from")),
        year_to=_int(params.get("year_to")),
    )
    result = get_search_backend().search(
        SearchQuery(text=params.get("q", ""), filters=filters, sort="newest", page_size=limit, facets=False,
                    highlight=False)
    )
    return [
        (hit.id, f"{hit.publication_number} {hit.title}", reverse("cms:patent-detail", args=[hit.publication_number]))
        for hit in result.hits
    ]


def listing_search(params: dict) -> QuerySet[Listing]:
    """Public listings for the listing parameters of a saved search."""
    qs = Listing.objects.filter(status__in=PUBLIC_STATUSES)
    text = params.get("q", "")
    if text:
        qs = qs.filter(Q(title__icontains=text) | Q(description__icontains=text) | Q(patents__title__icontains=text))
    if params.get("deal_type"):
        qs = qs.filter(deal_type=params["deal_type"])
    if params.get("zone"):
        qs = qs.filter(patents__zones__code=params["zone"])
    if params.get("industry"):
        qs = qs.filter(patents__industries__code=params["industry"])
    if params.get("ipc"):
        try:
            ipc = parse_ipc(params["ipc"])
        except IdentifierError:
            return qs.none()
        level = ipc.level if ipc.level != "subgroup" else "subgroup"
        value = ipc.at(level) if level != "subgroup" else str(ipc)
        qs = qs.filter(**{f"patents__ipc_codes__{PatentIpc.LEVEL_FIELDS[level]}": value})
    return qs.distinct().order_by("-published_at", "-pk")


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
    from listings.models import SavedSearch

    return SavedSearch.objects.filter(user=user).order_by("-created_at", "-pk")
