"""Reading demands: the public board with filters, what a user may see, their own demands."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet

from listings.catalogue.models import DealType
from listings.catalogue.selectors import ipc_param
from listings.demands import permissions as demand_permissions
from listings.demands.models import Demand, DemandStatus
from marketplace import permissions
from marketplace.kernel.errors import FilterError
from marketplace.kernel.filters import choice_param, keyword_q, money_param
from marketplace.kernel.typing import Viewer

#: board sort orders: value → ORDER BY (each ends on the primary key, so pages never overlap)
DEMAND_SORTS: dict[str, tuple[Any, ...]] = {
    "newest": (F("published_at").desc(nulls_last=True), "-pk"),
    "deadline": ("deadline", "pk"),  # soonest first
    "budget_desc": (F("budget_max").desc(nulls_last=True), "-pk"),
    "title": ("title", "pk"),
}


@dataclass(frozen=True)
class DemandFilters:
    deal_type: str = ""
    ipc: str = ""
    industry: str = ""
    zone: str = ""
    budget: int | None = None  # fen: demands whose range admits this amount
    q: str = ""  # words that must each occur in the title or the problem
    sort: str = ""  # one of DEMAND_SORTS ("" = newest first)
    errors: tuple[FilterError, ...] = field(default=(), compare=False)

    @classmethod
    def from_query(cls, params) -> DemandFilters:
        errors: list[FilterError] = []
        deal_type = choice_param(params, "deal_type", DealType.values, errors)
        ipc = ipc_param(params, errors)
        industry = (params.get("industry") or "").strip()
        zone = (params.get("zone") or "").strip()
        budget = money_param(params, "budget", errors)
        q = (params.get("q") or "").strip()[:100]
        sort = choice_param(params, "sort", DEMAND_SORTS, errors)
        return cls(
            deal_type=deal_type, ipc=ipc, industry=industry, zone=zone, budget=budget, q=q, sort=sort,
            errors=tuple(errors),
        )

    @property
    def is_valid(self) -> bool:
        return not self.errors


def _ipc_overlaps(wanted: str, codes: Iterable[str]) -> bool:
    """A demand's code is within the filter, or the filter is within the demand's (broader) code."""
    for code in codes:
        if code.startswith(wanted.removesuffix("/00")) or wanted.startswith(code.removesuffix("/00")):
            return True
    return False


def demand_board(*, filters: DemandFilters | None = None) -> list[Demand]:
    qs = Demand.objects.filter(status=DemandStatus.PUBLISHED).select_related("organisation").prefetch_related(
        "industries", "zones"
    )
    return demands_filter(qs, filters)


def demands_filter(qs: QuerySet[Demand], filters: DemandFilters | None) -> list[Demand]:
    if filters is None:
        return list(qs)
    if not filters.is_valid:
        return []
    if filters.industry:
        qs = qs.filter(industries__code=filters.industry)
    if filters.zone:
        qs = qs.filter(Q(zones__code=filters.zone) | Q(zones__slug=filters.zone))
    if filters.budget is not None:
        qs = qs.filter(Q(budget_min__isnull=True) | Q(budget_min__lte=filters.budget))
        qs = qs.filter(Q(budget_max__isnull=True) | Q(budget_max__gte=filters.budget))
    if filters.q:
        qs = qs.filter(pk__in=Demand.objects.filter(keyword_q(filters.q, ("title", "problem"))).values("pk"))
    if filters.sort:
        qs = qs.order_by(*DEMAND_SORTS[filters.sort])
    result = list(qs.distinct())
    # JSON list membership is filtered here: SQLite has no JSON containment lookup.
    if filters.deal_type:
        result = [d for d in result if filters.deal_type in (d.deal_types or [])]
    if filters.ipc:
        result = [d for d in result if _ipc_overlaps(filters.ipc, d.ipc_codes or [])]
    return result


def demands_visible_to(user: Viewer) -> QuerySet[Demand]:
    return Demand.objects.filter(demand_permissions.visible_demands_q(user)).select_related("organisation").prefetch_related(
        "industries", "zones"
    )


def demand_get(*, pk: int, user: Viewer) -> Demand:
    return demands_visible_to(user).get(pk=pk)


def my_demands(*, user: Viewer) -> QuerySet[Demand]:
    orgs = permissions.organisations_for(user, demand_permissions.DEMAND_ROLES)
    return Demand.objects.filter(organisation__in=orgs).select_related("organisation").order_by("-updated_at")


def demands_pending_review() -> list[Demand]:
    """Demands submitted or in review, oldest first."""
    return list(
        Demand.objects.filter(status__in=[DemandStatus.SUBMITTED, DemandStatus.IN_REVIEW])
        .select_related("organisation").order_by("submitted_at", "pk")
    )
