"""Reads of listings and demands for the boards, "my" pages, the review queue and the API.

Every function takes the viewing user where visibility matters, so another organisation's drafts
never leave the database.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from marketplace.kernel.money import Money
from listings.catalogue.identifiers import IdentifierError, parse_application_number, parse_ipc
from listings.catalogue.models import Industry, Patent, PatentIpc, Zone
from listings.demands.models import Demand, DemandStatus
from listings.catalogue.models import LicenceKind
from listings.trading.models import AttachmentKind, DealType, Listing, ListingAttachment, ListingStatus, PUBLIC_STATUSES, ReviewStatus
from listings.catalogue.selectors import FilterError
from marketplace import permissions
from marketplace.models import Organisation, OrganisationReview
from listings.trading import permissions as listing_permissions
from listings.demands import permissions as demand_permissions


def _money(params, name: str, errors: list[FilterError]) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        amount = Money.parse(raw).amount
    except ValueError as exc:
        errors.append(FilterError(name, str(exc)))
        return None
    if amount < 0:
        errors.append(FilterError(name, "金额不能为负 / the amount cannot be negative"))
        return None
    return amount


def _ipc(params, errors) -> str:
    raw = (params.get("ipc") or "").strip()
    if not raw:
        return ""
    try:
        return str(parse_ipc(raw))
    except IdentifierError as exc:
        errors.append(FilterError("ipc", str(exc)))
        return ""


def _choice(params, name, choices, errors) -> str:
    value = (params.get(name) or "").strip()
    if value and value not in choices:
        errors.append(FilterError(name, f"未知取值 / unknown value {value!r}"))
    return value


@dataclass(frozen=True)
class ListingFilters:
    """Board filters: deal type, licence kind, field (IPC at any level, or industry), zone, price range (yuan)."""

    deal_type: str = ""
    licence_kind: str = ""
    ipc: str = ""
    industry: str = ""
    zone: str = ""
    price_min: int | None = None  # fen
    price_max: int | None = None
    include_negotiable: bool = True
    q: str = ""
    errors: tuple[FilterError, ...] = field(default=(), compare=False)

    @classmethod
    def from_query(cls, params) -> "ListingFilters":
        errors: list[FilterError] = []
        values = {
            "deal_type": _choice(params, "deal_type", DealType.values, errors),
            "licence_kind": _choice(params, "licence_kind", LicenceKind.values, errors),
            "ipc": _ipc(params, errors),
            "industry": (params.get("industry") or "").strip(),
            "zone": (params.get("zone") or "").strip(),
            "price_min": _money(params, "price_min", errors),
            "price_max": _money(params, "price_max", errors),
            "include_negotiable": (params.get("negotiable") or "1") not in ("0", "false", "no"),
            "q": (params.get("q") or "").strip()[:100],
        }
        if values["industry"] and not Industry.objects.filter(code=values["industry"]).exists():
            errors.append(FilterError("industry", f"未知产业 / unknown industry {values['industry']!r}"))
        if values["zone"] and not Zone.objects.filter(Q(code=values["zone"]) | Q(slug=values["zone"])).exists():
            errors.append(FilterError("zone", f"未知实验区 / unknown zone {values['zone']!r}"))
        low, high = values["price_min"], values["price_max"]
        if low is not None and high is not None and low > high:
            errors.append(FilterError("price_max", "最高价低于最低价 / the maximum is below the minimum"))
        return cls(**values, errors=tuple(errors))

    @property
    def is_valid(self) -> bool:
        return not self.errors


def _with_related(qs: QuerySet[Listing]) -> QuerySet[Listing]:
    return qs.select_related("organisation").prefetch_related(
        Prefetch("patents", queryset=Patent.objects.prefetch_related("ipc_codes", "zones", "industries")),
        Prefetch("attachments", queryset=ListingAttachment.objects.filter(kind=AttachmentKind.IMAGE), to_attr="images"),
    )


def listing_board(*, filters: ListingFilters | None = None) -> QuerySet[Listing]:
    """Public listings (published or under negotiation), filtered; invalid filters give nothing, never a 500."""
    return _with_related(listings_filter(Listing.objects.filter(status__in=PUBLIC_STATUSES), filters))


def listings_filter(qs: QuerySet[Listing], filters: ListingFilters | None) -> QuerySet[Listing]:
    if filters is not None:
        if not filters.is_valid:
            return qs.none()
        if filters.deal_type:
            qs = qs.filter(deal_type=filters.deal_type)
        if filters.licence_kind:
            qs = qs.filter(licence_kind=filters.licence_kind)
        if filters.ipc:
            ipc = parse_ipc(filters.ipc)
            column = PatentIpc.LEVEL_FIELDS[ipc.level]
            value = ipc.at("main_group") if ipc.level == "main_group" else str(ipc)
            qs = qs.filter(pk__in=Listing.objects.filter(**{f"patents__ipc_codes__{column}": value}).values("pk"))
        if filters.industry:
            qs = qs.filter(pk__in=Listing.objects.filter(patents__industries__code=filters.industry).values("pk"))
        if filters.zone:
            zone_q = Q(patents__zones__code=filters.zone) | Q(patents__zones__slug=filters.zone)
            zone_q |= Q(organisation__zone__code=filters.zone) | Q(organisation__zone__slug=filters.zone)
            qs = qs.filter(pk__in=Listing.objects.filter(zone_q).values("pk"))
        if filters.price_min is not None or filters.price_max is not None:
            price_q = Q(price_amount__isnull=False)
            if filters.price_min is not None:
                price_q &= Q(price_amount__gte=filters.price_min)
            if filters.price_max is not None:
                price_q &= Q(price_amount__lte=filters.price_max)
            if filters.include_negotiable:
                price_q |= Q(price_amount__isnull=True)
            qs = qs.filter(price_q)
        if filters.q:
            qs = qs.filter(Q(title__icontains=filters.q) | Q(description__icontains=filters.q)
                           | Q(patents__title__icontains=filters.q)).distinct()
    return qs


def listings_visible_to(user) -> QuerySet[Listing]:
    """Everything ``user`` may see: public listings, their organisations' own, or all for operators."""
    return _with_related(Listing.objects.filter(listing_permissions.visible_listings_q(user)))


def listing_get(*, pk: int, user) -> Listing:
    """A listing ``user`` may see; another organisation's private listing is ``DoesNotExist`` (a 404)."""
    return listings_visible_to(user).get(pk=pk)


def my_listings(*, user) -> QuerySet[Listing]:
    orgs = permissions.organisations_for(user, listing_permissions.LISTING_ROLES)
    return _with_related(Listing.objects.filter(organisation__in=orgs)).order_by("-updated_at")


# --------------------------------------------------------------------------------------------
# Demands
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemandFilters:
    deal_type: str = ""
    ipc: str = ""
    industry: str = ""
    zone: str = ""
    budget: int | None = None  # fen: demands whose range admits this amount
    errors: tuple[FilterError, ...] = field(default=(), compare=False)

    @classmethod
    def from_query(cls, params) -> "DemandFilters":
        errors: list[FilterError] = []
        values = {
            "deal_type": _choice(params, "deal_type", DealType.values, errors),
            "ipc": _ipc(params, errors),
            "industry": (params.get("industry") or "").strip(),
            "zone": (params.get("zone") or "").strip(),
            "budget": _money(params, "budget", errors),
        }
        return cls(**values, errors=tuple(errors))

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
    result = list(qs.distinct())
    # JSON list membership is filtered here: SQLite has no JSON containment lookup.
    if filters.deal_type:
        result = [d for d in result if filters.deal_type in (d.deal_types or [])]
    if filters.ipc:
        result = [d for d in result if _ipc_overlaps(filters.ipc, d.ipc_codes or [])]
    return result


def demands_visible_to(user) -> QuerySet[Demand]:
    return Demand.objects.filter(demand_permissions.visible_demands_q(user)).select_related("organisation").prefetch_related(
        "industries", "zones"
    )


def demand_get(*, pk: int, user) -> Demand:
    return demands_visible_to(user).get(pk=pk)


def my_demands(*, user) -> QuerySet[Demand]:
    orgs = permissions.organisations_for(user, demand_permissions.DEMAND_ROLES)
    return Demand.objects.filter(organisation__in=orgs).select_related("organisation").order_by("-updated_at")


# --------------------------------------------------------------------------------------------
# Operator review queue
# --------------------------------------------------------------------------------------------
@dataclass
class ReviewQueue:
    listings: list[Listing]
    demands: list[Demand]
    authorisations: list[ListingAttachment]
    organisations: list[Organisation]
    suspended: list[Listing]

    @property
    def total(self) -> int:
        return len(self.listings) + len(self.demands) + len(self.authorisations) + len(self.organisations)


def review_queue() -> ReviewQueue:
    """What waits for an operator, oldest first."""
    return ReviewQueue(
        listings=list(
            _with_related(Listing.objects.filter(status__in=[ListingStatus.SUBMITTED, ListingStatus.IN_REVIEW]))
            .order_by("submitted_at", "pk")
        ),
        demands=list(
            Demand.objects.filter(status__in=[DemandStatus.SUBMITTED, DemandStatus.IN_REVIEW])
            .select_related("organisation").order_by("submitted_at", "pk")
        ),
        authorisations=list(
            ListingAttachment.objects.filter(kind=AttachmentKind.AUTHORISATION, review_status=ReviewStatus.PENDING)
            .select_related("listing", "listing__organisation", "patent").order_by("uploaded_at", "pk")
        ),
        organisations=list(
            Organisation.objects.filter(is_verified=False, memberships__isnull=False)
            .annotate(last_decision=Subquery(
                OrganisationReview.objects.filter(organisation=OuterRef("pk")).order_by("-created_at", "-pk")
                .values("decision")[:1]
            ))
            .filter(Q(last_decision__isnull=True) | Q(last_decision=OrganisationReview.Decision.REVOKED))
            .prefetch_related("memberships__user")
            .distinct().order_by("created_at")
        ),
        suspended=list(_with_related(Listing.objects.filter(status=ListingStatus.SUSPENDED)).order_by("-updated_at")),
    )


def patents_resolve(numbers: Iterable[str]) -> tuple[list[Patent], list[str]]:
    """Patents by publication, application or patent (ZL) number; returns (found, numbers not found)."""
    found: list[Patent] = []
    missing: list[str] = []
    for raw in numbers:
        text = (raw or "").strip().upper().replace(" ", "")
        if not text:
            continue
        patent = Patent.objects.filter(publication_number=text).first()
        if patent is None:
            try:
                number = str(parse_application_number(text))
            except IdentifierError:
                number = ""
            if number:
                patent = Patent.objects.filter(application_number=number).first()
        if patent is None:
            patent = Patent.objects.filter(publications__number=text).first()
        if patent is None:
            missing.append(raw.strip())
        elif patent not in found:
            found.append(patent)
    return found, missing
