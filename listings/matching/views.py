"""Matching pages: a demand's ranked matches with their explanation, the holders' view (demands that
match my organisation's patents), and saved searches. Thin: parse, call one selector or service, render.
A demand whose matches the user may not see is a 404, as if it did not exist."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from listings.demands import permissions as demand_permissions
from listings.demands.models import Demand
from listings.matching import selectors
from listings.matching import services as services
from listings.matching.models import AlertFrequency, SavedSearch, SavedSearchScope
from listings.matching.presentation import PART_LABELS
from listings.trading import permissions as listing_permissions
from listings.trading.models import DealType, LicenceKind
from marketplace import permissions
from marketplace.kernel.errors import TooSoon


def demand_or_404(*, user, pk: int) -> Demand:
    demand = Demand.objects.select_related("organisation").filter(pk=pk).first()
    if demand is None or not selectors.can_view_demand_matches(user, demand):
        raise Http404(_("没有这个需求"))
    return demand


@login_required
def demand_matches(request, pk: int):
    demand = demand_or_404(user=request.user, pk=pk)
    if request.method == "POST":
        if not demand_permissions.can_manage_demand(request.user, demand) and not permissions.is_operator(request.user):
            raise Http404(_("没有这个需求"))
        try:
            services.demand_matches_refresh_request(demand=demand, by=request.user)
        except TooSoon as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已开始重新计算匹配结果，稍后刷新查看"))
        return redirect("matching:demand-matches", pk=demand.pk)
    return render(
        request,
        "matching/demand_matches.html",
        {
            "demand": demand,
            "matches": list(selectors.demand_matches(demand=demand)),
            "part_labels": PART_LABELS,
            "can_refresh": demand_permissions.can_manage_demand(request.user, demand) or permissions.is_operator(request.user),
        },
    )


@login_required
def matching_demands(request):
    """The holders' view; each row offers "recommend to the demand firm" (推荐给需求方) for the organisations the
    user acts for as holder or broker that hold the patent or list it (the deal service checks again)."""
    rows = selectors.matching_demands_for_user(user=request.user).prefetch_related("patent__holders")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    acting = list(permissions.organisations_for(request.user, listing_permissions.LISTING_ROLES))
    for row in page:
        row.show_organisation = demand_permissions.can_see_demand_organisation(request.user, row.demand)
        holders = {o.pk for o in row.patent.holders.all()}
        listed_by = row.listing.organisation_id if row.listing is not None else None
        row.recommend_as = [o for o in acting if o.pk in holders or o.pk == listed_by]
        row.default_deal_type = "licence" if row.listing is not None and row.listing.deal_type == DealType.LICENCE else "assignment"
    return render(request, "matching/matching_demands.html", {
        "page": page, "part_labels": PART_LABELS, "licence_kinds": LicenceKind.choices,
    })


@login_required
def saved_search_list(request):
    if request.method == "POST":
        scope = request.POST.get("scope", "")
        allowed = selectors.SAVED_SEARCH_PARAMS.get(scope, ())
        params = {key: request.POST.get(f"param_{key}", "") for key in allowed}
        try:
            services.saved_search_create(
                user=request.user,
                name=request.POST.get("name", ""),
                scope=scope,
                params=params,
                frequency=request.POST.get("frequency", AlertFrequency.DAILY),
            )
        except services.SavedSearchError as exc:
            messages.error(request, f"{exc.field}: {exc.message}")
        else:
            messages.success(request, _("检索已保存，有新结果时会通知您"))
            return redirect("matching:saved-search-list")
    # GET ?scope=patents&q=… prefills the "save this search" form with the page's current query
    scope = request.GET.get("scope", "")
    draft = None
    if scope in SavedSearchScope.values:
        allowed = selectors.SAVED_SEARCH_PARAMS[scope]
        draft = {
            "scope": scope,
            "params": [(key, request.GET.get(key)) for key in allowed if request.GET.get(key)],
        }
    saved = list(selectors.saved_searches_for(user=request.user))
    for item in saved:
        item.page_url = ("/search/" if item.scope == SavedSearchScope.PATENTS else "/listings/") + (
            "?" + urlencode(item.params) if item.params else ""
        )
    return render(
        request,
        "matching/saved_searches.html",
        {"saved": saved, "draft": draft, "frequencies": AlertFrequency.choices},
    )


@login_required
@require_POST
def saved_search_delete(request, pk: int):
    saved = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    services.saved_search_delete(saved_search=saved, by=request.user)
    messages.success(request, _("已删除保存的检索"))
    return redirect("matching:saved-search-list")


@login_required
@require_POST
def saved_search_frequency(request, pk: int):
    saved = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    try:
        services.saved_search_update(saved_search=saved, by=request.user, frequency=request.POST.get("frequency", ""))
    except services.SavedSearchError as exc:
        messages.error(request, f"{exc.field}: {exc.message}")
    return redirect("matching:saved-search-list")
