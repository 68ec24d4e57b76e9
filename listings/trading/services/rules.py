"""Licence law and trading rules for listings: terms, patents in force and unencumbered, licence conflicts, ownership."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from listings.catalogue.models import Encumbrance, LegalStatus, LicenceGrant, LicenceKind, Patent, PatenteeRole, PatentPatentee
from listings.trading.models import (
    EDITABLE_STATUSES,
    EXCLUDING_KINDS,
    LIVE_LISTING_STATUSES,
    AttachmentKind,
    DealType,
    Listing,
    ReviewStatus,
)
from marketplace.kernel.limits import TEXT_MAX, TITLE_MAX, too_long_message
from marketplace.kernel.money import MAX_AMOUNT
from marketplace.kernel.statemachine import Rules
from marketplace.models import Organisation


def _norm(text: str) -> str:
    return "".join((text or "").split()).lower()


def _text_overlaps(a: str, b: str) -> bool:
    """Free-text territory/field overlap, read conservatively: blank means everything; one containing
    the other (``中国`` and ``中国北京``) overlaps."""
    a, b = _norm(a), _norm(b)
    return not a or not b or a in b or b in a


def _period_overlaps(a_start, a_end, b_start, b_end) -> bool:
    lo = dt.date.min
    hi = dt.date.max
    return (a_start or lo) <= (b_end or hi) and (b_start or lo) <= (a_end or hi)


def scopes_overlap(a: Any, b: Any) -> bool:
    """Two licences (listings or grants) cover some of the same territory, field and period."""
    return (
        _text_overlaps(a.territory, b.territory)
        and _text_overlaps(a.field_of_use, b.field_of_use)
        and _period_overlaps(a.term_start, a.term_end, b.term_start, b.term_end)
    )


class Terms:
    """The terms under check, whether of a saved listing or of a proposed change."""

    FIELDS = (
        "title", "description", "deal_type", "licence_kind", "territory", "field_of_use", "term_start", "term_end",
        "sublicensing_allowed", "price_amount", "price_currency", "royalty_rate_bps", "expires_on",
    )

    title: str
    description: str
    deal_type: str
    licence_kind: str
    territory: str
    field_of_use: str
    term_start: dt.date | None
    term_end: dt.date | None
    sublicensing_allowed: bool
    price_amount: int | None
    price_currency: str
    royalty_rate_bps: int | None
    expires_on: dt.date | None

    def __init__(self, **values: Any) -> None:
        for name in self.FIELDS:
            setattr(self, name, values.get(name))

    @classmethod
    def of(cls, listing: Listing) -> Terms:
        return cls(**{name: getattr(listing, name) for name in cls.FIELDS})


def check_terms(rules: Rules, t: Terms, *, today: dt.date) -> None:
    rules.check(bool((t.title or "").strip()), "title", "required", "请填写标题 / a title is required")
    rules.check(len(t.title or "") <= TITLE_MAX, "title", "too_long", too_long_message(TITLE_MAX))
    rules.check(len(t.description or "") <= TEXT_MAX, "description", "too_long", too_long_message(TEXT_MAX))
    if t.deal_type not in DealType.values:
        rules.add("deal_type", "invalid_choice", f"未知交易方式 / unknown deal type {t.deal_type!r}")
        return
    if t.deal_type == DealType.LICENCE:
        rules.check(
            t.licence_kind in LicenceKind.values, "licence_kind", "licence_kind_required",
            "许可须选择独占、排他或普通许可 / a licence must be exclusive, sole or non-exclusive",
        )
    elif t.deal_type == DealType.OPEN_LICENCE:
        rules.check(
            t.licence_kind in ("", LicenceKind.NON_EXCLUSIVE), "licence_kind", "open_licence_non_exclusive",
            "开放许可只能是普通许可 / an open licence is always non-exclusive",
        )
    else:
        rules.check(
            not t.licence_kind, "licence_kind", "licence_kind_not_applicable",
            "转让不适用许可类型 / an assignment has no licence kind",
        )
    if t.term_start and t.term_end and t.term_end < t.term_start:
        rules.add("term_end", "term_end_before_start", "许可期限止日早于起日 / the term ends before it starts")
    if t.price_amount is not None:
        if isinstance(t.price_amount, bool) or not isinstance(t.price_amount, int):
            rules.add("price_amount", "price_not_integer", "价格须为整数（分） / the price is an integer of fen")
        elif t.price_amount <= 0:
            rules.add("price_amount", "price_not_positive", "价格须大于零，或选择面议 / the price must be positive, or negotiable")
        elif t.price_amount > MAX_AMOUNT:
            rules.add("price_amount", "amount_too_large", "价格须小于 2^53 分 / the price must be below 2^53 fen")
    rules.check(
        (t.price_currency or "CNY") == "CNY", "price_currency", "currency_not_cny",
        "挂牌价格以人民币计 / asking prices are in CNY",
    )
    if t.royalty_rate_bps is not None:
        if t.deal_type == DealType.ASSIGNMENT:
            rules.add("royalty_rate_bps", "royalty_not_applicable", "转让不适用提成费 / an assignment has no royalty")
        elif not (0 < t.royalty_rate_bps <= 10000):
            rules.add(
                "royalty_rate_bps", "royalty_rate_out_of_range",
                "提成费率须在 0.01% 至 100% 之间 / the royalty rate must be 1–10000 basis points",
            )
    if t.deal_type == DealType.OPEN_LICENCE and t.price_amount is None and t.royalty_rate_bps is None:
        rules.add(
            "price_amount", "open_licence_terms_required",
            "开放许可须公布许可使用费（一次性费用或提成费率），不能面议 / an open licence publishes its royalty terms",
        )
    if t.expires_on and t.expires_on <= today:
        rules.add("expires_on", "expires_in_past", "有效期须晚于今天 / the listing must expire in the future")


def patent_tradeable(patent: Patent, *, today: dt.date) -> bool:
    """The patent-level conditions ``check_patents`` and ``_check_ownership`` enforce, as one answer: a right
    that still exists (in force within its term, or a pending application), no active encumbrance or registered
    pledge, and no change of owner (专利权转移) whose new owner is not yet recorded."""
    live = patent.legal_status == LegalStatus.PENDING or patent.in_force_on(today)
    if not live or patent.is_pledge_record or patent.encumbrances.filter(active=True).exists():
        return False
    if patent.is_transfer_record:
        return patent.patentee_links.filter(role=PatenteeRole.RECORDED_OWNER).exists()
    return True


def check_patents(
    rules: Rules, t: Terms, patents: Sequence[Patent], *, exclude_listing: int | None, today: dt.date
) -> None:
    """Rights in force only (a pending application right may be assigned), no encumbrance, no conflicting licence."""
    if not patents:
        rules.add("patents", "patents_required", "至少选择一项专利 / choose at least one patent")
        return
    ids = [p.pk for p in patents]
    if len(set(ids)) != len(ids):
        rules.add("patents", "patent_duplicated", "同一专利重复出现 / a patent appears twice")
    encumbered = set(Encumbrance.objects.filter(patent_id__in=ids, active=True).values_list("patent_id", flat=True))
    for patent in patents:
        label = patent.publication_number
        if patent.legal_status == LegalStatus.PENDING:
            if t.deal_type != DealType.ASSIGNMENT:
                rules.add(
                    "patents", "pending_only_assignment",
                    f"{label} 尚在审查中，只能转让专利申请权 / {label} is pending: only the application right may be assigned",
                )
        elif not patent.in_force_on(today):
            rules.add(
                "patents", "patent_not_in_force",
                f"{label} 的专利权不在有效状态（{patent.get_legal_status_display()}），不能挂牌 / {label} is not in force",
            )
        if patent.pk in encumbered or patent.is_pledge_record:  # the source's latest status is a registered pledge
            rules.add(
                "patents", "patent_encumbered",
                f"{label} 存在质押或其他权利限制，不能转让或许可 / {label} is pledged or otherwise encumbered",
            )
        if t.deal_type in (DealType.LICENCE, DealType.OPEN_LICENCE) and t.term_end and patent.expiry_date:
            if t.term_end > patent.expiry_date:
                rules.add(
                    "term_end", "term_beyond_expiry",
                    f"许可期限超过 {label} 的届满日 {patent.expiry_date} / the term outlasts {label}",
                )
        elif t.deal_type in (DealType.LICENCE, DealType.OPEN_LICENCE) and t.term_end and patent.expiry_year:
            # only the filing year is known: the term surely outlasts the patent after its expiry year
            if t.term_end.year > patent.expiry_year:
                rules.add(
                    "term_end", "term_beyond_expiry",
                    f"许可期限超过 {label} 的届满年份 {patent.expiry_year} / the term outlasts {label} (expires {patent.expiry_year})",
                )
    _check_assignment_conflicts(rules, t, patents, exclude_listing=exclude_listing)
    if t.deal_type in (DealType.LICENCE, DealType.OPEN_LICENCE):
        _check_licence_conflicts(rules, t, patents, exclude_listing=exclude_listing)


def _live_listings_of(patent_ids: Sequence[int], *, exclude_listing: int | None) -> list[Listing]:
    live = Listing.objects.filter(patents__in=patent_ids, status__in=LIVE_LISTING_STATUSES)
    if exclude_listing is not None:  # exclude(pk=None) would exclude nothing
        live = live.exclude(pk=exclude_listing)
    return list(live.select_related("organisation").prefetch_related("listing_patents").distinct().order_by("pk"))


def _check_assignment_conflicts(
    rules: Rules, t: Terms, patents: Sequence[Patent], *, exclude_listing: int | None
) -> None:
    """An assignment sells the whole right: it cannot be offered beside any other live listing of the same patent
    (submitted, in review, published, under negotiation or suspended, by any organisation), and nothing else can be offered
    beside a live assignment."""
    by_id = {p.pk: p.publication_number for p in patents}
    for other in _live_listings_of(list(by_id), exclude_listing=exclude_listing):
        labels = "、".join(by_id[lp.patent_id] for lp in other.listing_patents.all() if lp.patent_id in by_id)
        if t.deal_type == DealType.ASSIGNMENT:
            rules.add(
                "deal_type", "assignment_conflict",
                f"{labels} 已有挂牌“{other.title}”（{other.get_status_display()}），转让不能与同一专利的其他挂牌并存 / "
                f"an assignment cannot stand beside another live listing of {labels}",
            )
        elif other.deal_type == DealType.ASSIGNMENT:
            rules.add(
                "deal_type", "assignment_listed",
                f"{labels} 正在挂牌转让（“{other.title}”，{other.get_status_display()}），不能另行挂牌 / "
                f"{labels} is already offered for assignment",
            )


def duplicate_warnings(
    *, organisation: Organisation, t: Terms, patents: Sequence[Patent], exclude_listing: int | None
) -> list[str]:
    """Not refused, but probably a mistake: the organisation already has another open listing (a draft included) of
    the same patent with the same deal type and licence kind."""
    ids = [p.pk for p in patents]
    others = Listing.objects.filter(
        organisation=organisation, patents__in=ids, deal_type=t.deal_type, licence_kind=t.licence_kind or "",
        status__in=(*LIVE_LISTING_STATUSES, *EDITABLE_STATUSES),
    )
    if exclude_listing is not None:
        others = others.exclude(pk=exclude_listing)
    return [
        f"贵机构已有同一专利、同一交易方式的挂牌“{other.title}”（{other.get_status_display()}），请确认不是重复挂牌 / "
        f"your organisation already has a listing of the same patent and deal type: {other.title}"
        for other in others.distinct().order_by("pk")
    ]


def _check_licence_conflicts(rules: Rules, t: Terms, patents: Sequence[Patent], *, exclude_listing: int | None) -> None:
    new_excludes = t.deal_type == DealType.LICENCE and t.licence_kind in EXCLUDING_KINDS
    ids = [p.pk for p in patents]
    by_id = {p.pk: p.publication_number for p in patents}
    others = _live_listings_of(ids, exclude_listing=exclude_listing)
    grants = LicenceGrant.objects.filter(patent_id__in=ids, active=True)
    if t.deal_type == DealType.OPEN_LICENCE:
        for grant in grants:
            if grant.kind in EXCLUDING_KINDS:
                rules.add(
                    "deal_type", "exclusive_licence_exists",
                    f"{by_id[grant.patent_id]} 已有独占或排他许可，不能声明开放许可 / an exclusive or sole licence stands",
                )
        for other in others:
            if other.deal_type == DealType.LICENCE and other.licence_kind in EXCLUDING_KINDS:
                rules.add(
                    "deal_type", "exclusive_licence_exists",
                    f"挂牌“{other.title}”正在提供独占或排他许可，不能同时声明开放许可 / an exclusive or sole licence is on offer",
                )
        return
    for grant in grants:
        if (new_excludes or grant.kind in EXCLUDING_KINDS) and scopes_overlap(t, grant):
            rules.add(
                "licence_kind", "licence_conflict",
                f"与 {by_id[grant.patent_id]} 已有的{grant.get_kind_display()}在地域、领域和期限上冲突 / "
                f"conflicts with an existing {grant.kind} licence",
            )
    for other in others:
        if other.deal_type == DealType.OPEN_LICENCE and new_excludes:
            rules.add(
                "licence_kind", "open_licence_stands",
                "该专利已声明开放许可，不能再给予独占或排他许可 / an open licence stands on this patent",
            )
        elif (
            other.deal_type == DealType.LICENCE
            and new_excludes
            and other.licence_kind in EXCLUDING_KINDS
            and scopes_overlap(t, other)
        ):
            rules.add(
                "licence_kind", "licence_conflict",
                f"与挂牌“{other.title}”的{other.get_licence_kind_display()}冲突 / conflicts with another exclusive or sole licence offer",
            )


def _check_ownership(rules: Rules, listing: Listing, patents: Sequence[Patent], *, need_verified: bool) -> None:
    """The lister is the patentee, or has uploaded the patentee's authorisation (verified by an operator before publishing).

    The lister is the patentee when it holds the patent, or when an operator confirmed it is one of the
    patent's named patentees (``patentee_link_confirm``). After a transfer (专利权转移) the named
    patentees may be the former owners: nobody lists the patent until an operator records the new owner,
    and then only the new owner counts as the patentee.
    """
    organisation = listing.organisation
    ids = [p.pk for p in patents]
    held = set(organisation.patents.filter(pk__in=ids).values_list("pk", flat=True))
    links = list(
        PatentPatentee.objects.filter(patent_id__in=ids).values_list("patent_id", "role", "patentee__organisation_id")
    )
    owner_recorded = {pid for pid, role, _org in links if role == PatenteeRole.RECORDED_OWNER}
    mine = {(pid, role) for pid, role, org in links if org == organisation.pk}
    authorisations = list(listing.attachments.filter(kind=AttachmentKind.AUTHORISATION))
    for patent in patents:
        if patent.pk in held:
            continue
        if patent.pk in owner_recorded:
            if (patent.pk, PatenteeRole.RECORDED_OWNER) in mine:
                continue
        elif patent.is_transfer_record:
            rules.add(
                "patents", "transfer_owner_unrecorded",
                f"{patent.publication_number} 的专利权已转移（{patent.legal_status_text}），新权利人登记前不能挂牌 / "
                f"{patent.publication_number} changed owner: it cannot be listed until the new owner is recorded",
            )
            continue
        elif (patent.pk, PatenteeRole.APPLICANT) in mine:
            continue
        covering = [a for a in authorisations if a.patent_id in (None, patent.pk)]
        accepted = [a for a in covering if a.review_status == ReviewStatus.ACCEPTED]
        pending = [a for a in covering if a.review_status == ReviewStatus.PENDING]
        label = patent.publication_number
        if not covering or not (accepted or pending):
            rules.add(
                "authorisation", "not_patentee",
                f"贵机构不是 {label} 的权利人，须上传权利人授权书 / you are not the patentee of {label}: upload an authorisation",
            )
        elif need_verified and not accepted:
            rules.add(
                "authorisation", "authorisation_not_verified",
                f"{label} 的授权书尚未经运营人员核验 / the authorisation for {label} has not been verified",
            )


def _check_organisation(rules: Rules, organisation: Organisation) -> None:
    rules.check(
        organisation.is_verified, "organisation", "organisation_not_verified",
        f"机构“{organisation}”尚未通过认证 / the organisation is not verified",
    )


def full_check(listing: Listing, *, stage: str, today: dt.date) -> None:
    """Every rule, as the listing stands now; ``stage`` is submit (authorisation uploaded) or publish (verified)."""
    rules = Rules()
    t = Terms.of(listing)
    patents = list(listing.patents.all())
    _check_organisation(rules, listing.organisation)
    check_terms(rules, t, today=today)
    check_patents(rules, t, patents, exclude_listing=listing.pk, today=today)
    _check_ownership(rules, listing, patents, need_verified=stage == "publish")
    rules.raise_if_any()

