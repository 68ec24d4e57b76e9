"""Reads of listings and demands for the boards, "my" pages, the review queue and the API.

Every function takes the viewing user where visibility matters, so another organisation's drafts
never leave the database.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from listings.catalogue.identifiers import IdentifierError, parse_application_number, parse_ipc
from listings.catalogue.models import (
    DealType,
    Industry,
    LicenceKind,
    Patent,
    PatenteeRole,
    PatentIpc,
    PatentPatentee,
    Zone,
)
from listings.catalogue.selectors import ipc_param
from listings.trading import permissions as listing_permissions
from listings.trading.models import (
    LIVE_LISTING_STATUSES,
    PUBLIC_STATUSES,
    AttachmentKind,
    Listing,
    ListingAttachment,
    ListingPatent,
    ListingStatus,
    ReviewStatus,
)
from listings.trading.services.rules import Terms, duplicate_warnings, patent_tradeable
from marketplace import permissions
from marketplace.kernel.errors import FilterError
from marketplace.kernel.filters import choice_param, keyword_q, money_param
from marketplace.kernel.typing import Viewer
from marketplace.models import Organisation

#: board sort orders: value → ORDER BY (each ends on the primary key, so pages never overlap; 面议 sorts last)
LISTING_SORTS: dict[str, tuple[Any, ...]] = {
    "newest": (F("published_at").desc(nulls_last=True), "-pk"),
    "oldest": (F("published_at").asc(nulls_last=True), "pk"),
    "price_asc": (F("price_amount").asc(nulls_last=True), "pk"),
    "price_desc": (F("price_amount").desc(nulls_last=True), "-pk"),
    "title": ("title", "pk"),
}


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
    sort: str = ""  # one of LISTING_SORTS ("" = newest first)
    errors: tuple[FilterError, ...] = field(default=(), compare=False)

    @classmethod
    def from_query(cls, params) -> ListingFilters:
        errors: list[FilterError] = []
        deal_type = choice_param(params, "deal_type", DealType.values, errors)
        licence_kind = choice_param(params, "licence_kind", LicenceKind.values, errors)
        ipc = ipc_param(params, errors)
        industry: str = (params.get("industry") or "").strip()
        zone: str = (params.get("zone") or "").strip()
        low = money_param(params, "price_min", errors)
        high = money_param(params, "price_max", errors)
        include_negotiable = (params.get("negotiable") or "1") not in ("0", "false", "no")
        q: str = (params.get("q") or "").strip()[:100]
        sort = choice_param(params, "sort", LISTING_SORTS, errors)
        if industry and not Industry.objects.filter(code=industry).exists():
            errors.append(FilterError("industry", f"未知产业 / unknown industry {industry!r}"))
        if zone and not Zone.objects.filter(Q(code=zone) | Q(slug=zone)).exists():
            errors.append(FilterError("zone", f"未知实验区 / unknown zone {zone!r}"))
        if low is not None and high is not None and low > high:
            errors.append(FilterError("price_max", "最高价低于最低价 / the maximum is below the minimum"))
        return cls(
            deal_type=deal_type, licence_kind=licence_kind, ipc=ipc, industry=industry, zone=zone,
            price_min=low, price_max=high, include_negotiable=include_negotiable, q=q, sort=sort, errors=tuple(errors),
        )

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
            matching = Listing.objects.filter(
                keyword_q(filters.q, ("title", "description", "patents__title", "patents__publication_number"))
            )
            qs = qs.filter(pk__in=matching.values("pk"))
        if filters.sort:
            qs = qs.order_by(*LISTING_SORTS[filters.sort])
    return qs


def listings_visible_to(user: Viewer) -> QuerySet[Listing]:
    """Everything ``user`` may see: public listings, their organisations' own, or all for operators."""
    return _with_related(Listing.objects.filter(listing_permissions.visible_listings_q(user)))


def listing_get(*, pk: int, user: Viewer) -> Listing:
    """A listing ``user`` may see; another organisation's private listing is ``DoesNotExist`` (a 404)."""
    return listings_visible_to(user).get(pk=pk)


def my_listings(*, user: Viewer) -> QuerySet[Listing]:
    orgs = permissions.organisations_for(user, listing_permissions.LISTING_ROLES)
    return _with_related(Listing.objects.filter(organisation__in=orgs)).order_by("-updated_at")


# --------------------------------------------------------------------------------------------
# Demands
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Operator review queue
# --------------------------------------------------------------------------------------------
def listings_pending_review() -> list[Listing]:
    """Listings submitted or in review, oldest first; each with ``other_live``: the other live listings (any
    organisation, submitted to suspended) of its patents, which the operator weighs before approving."""
    qs = Listing.objects.filter(status__in=[ListingStatus.SUBMITTED, ListingStatus.IN_REVIEW])
    pending = list(_with_related(qs).order_by("submitted_at", "pk"))
    patent_ids = {p.pk for listing in pending for p in listing.patents.all()}
    links = ListingPatent.objects.filter(patent_id__in=patent_ids, listing__status__in=LIVE_LISTING_STATUSES).select_related(
        "listing", "listing__organisation", "patent"
    ).order_by("listing_id")
    by_patent: dict[int, list[ListingPatent]] = {}
    for link in links:
        by_patent.setdefault(link.patent_id, []).append(link)
    for listing in pending:
        seen: dict[int, Listing] = {}
        for patent in listing.patents.all():
            for link in by_patent.get(patent.pk, []):
                if link.listing_id != listing.pk:
                    # a copy per pending row: the same other listing may share different patents with each row
                    other = seen.setdefault(link.listing_id, copy.copy(link.listing))
                    shared = other.__dict__.setdefault("shared_patents", [])
                    if patent.publication_number not in shared:
                        shared.append(patent.publication_number)
        listing.other_live = list(seen.values())  # type: ignore[attr-defined]  # shown in the review queue
    return pending


def authorisations_pending_review() -> list[ListingAttachment]:
    """Patentees' authorisations waiting to be checked, oldest first."""
    return list(
        ListingAttachment.objects.filter(kind=AttachmentKind.AUTHORISATION, review_status=ReviewStatus.PENDING)
        .select_related("listing", "listing__organisation", "patent").order_by("uploaded_at", "pk")
    )


def listings_suspended() -> list[Listing]:
    """Suspended listings an operator may reinstate, newest first."""
    return list(_with_related(Listing.objects.filter(status=ListingStatus.SUSPENDED)).order_by("-updated_at"))


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


def attachments_visible_to(user: Any, listing: Listing) -> list[ListingAttachment]:
    """The listing's files this user may see (see ``can_view_attachment``)."""
    return [a for a in listing.attachments.select_related("patent", "listing") if listing_permissions.can_view_attachment(user, a)]


def open_licence_takers(user: Any, listing: Listing) -> list[Organisation]:
    """The organisations ``user`` acts for that could take this open licence now (the service checks the rest)."""
    if listing.deal_type != DealType.OPEN_LICENCE or listing.status != ListingStatus.PUBLISHED:
        return []
    return [o for o in permissions.organisations_for(user) if o.pk != listing.organisation_id]


def patent_is_listable(patent: Patent) -> bool:
    """Whether a listing of this patent could pass the trading rules' patent checks today (the rules module
    decides: a right that still exists, no encumbrance or registered pledge, no unrecorded change of owner)."""
    return patent_tradeable(patent, today=timezone.localdate())


def listing_duplicate_warnings(listing: Listing) -> list[str]:
    """The organisation's other open listings of the same patent and deal type (a warning when it creates or
    submits this one; conflicting ones are refused by the rules instead)."""
    return duplicate_warnings(
        organisation=listing.organisation, t=Terms.of(listing), patents=list(listing.patents.all()),
        exclude_listing=listing.pk,
    )


#: how many of the organisations' own patents the listing form offers to pick
OWN_PATENTS_SHOWN = 30


def own_patents(organisations: Iterable[Organisation]) -> list[Patent]:
    """The patents the listing form offers to pick: held by one of the organisations, or naming a patentee an
    operator linked to one (``patentee_link_confirm``), still in force; newest filing first, at most
    ``OWN_PATENTS_SHOWN``."""
    ids = [o.pk for o in organisations]
    today = timezone.localdate()

    def linked(role: str) -> Exists:
        return Exists(PatentPatentee.objects.filter(patent=OuterRef("pk"), role=role, patentee__organisation__in=ids))

    recorded = Exists(PatentPatentee.objects.filter(patent=OuterRef("pk"), role=PatenteeRole.RECORDED_OWNER))
    candidates = (
        # a named applicant counts until a change of owner is recorded (then only the new owner does)
        Patent.objects.filter(Q(holders__in=ids) | linked(PatenteeRole.RECORDED_OWNER)
                              | (linked(PatenteeRole.APPLICANT) & ~recorded))
        .distinct().order_by("-application_date", "publication_number")
    )
    own = []
    for patent in candidates[: OWN_PATENTS_SHOWN * 2]:
        if patent_tradeable(patent, today=today):
            own.append(patent)
        if len(own) == OWN_PATENTS_SHOWN:
            break
    return own
