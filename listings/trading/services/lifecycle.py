"""Listings: creating and editing them, their declared lifecycle, files, licences and the events on a
patent (leaving force, encumbrance) that stop trading at once.

Every transition is one service: it locks the listing row (``select_for_update``), asks
``LISTING_MACHINE`` whether the move is allowed, checks who is acting and the trading rules, writes
the new status and a ``ListingTransition`` row (who and why), then tells the parties. A broken rule
raises ``RuleBroken`` naming the field and rule; an illegal move raises ``IllegalTransition``; in
both cases nothing is written.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from marketplace.kernel.money import Money
from listings.catalogue.models import LegalStatus, Patent
from listings.catalogue.models import LIVE_STATUSES
from listings.catalogue.models import Encumbrance, EncumbranceKind, LicenceGrant, LicenceKind
from listings.trading.models import AttachmentKind, CloseOutcome, DealType, EXCLUDING_KINDS, LIVE_LISTING_STATUSES, Listing, ListingAttachment, ListingPatent, ListingStatus, ListingTransition, PUBLIC_STATUSES, ReviewStatus
from marketplace.kernel.statemachine import Actor, IllegalTransition, RuleBroken, Rules, StateMachine, Transition
from marketplace.kernel.uploads import check_upload
from marketplace import permissions
from marketplace.models import Membership, Organisation
from marketplace.notifications import notify
from marketplace.services import NotPermitted, require_operator
from search.indexing import index_patents_on_commit

S = ListingStatus

LISTING_MACHINE = StateMachine(
    "listing",
    [
        Transition("submit", frozenset({S.DRAFT, S.REJECTED}), S.SUBMITTED, Actor.OWNER),
        Transition("review_start", frozenset({S.SUBMITTED}), S.IN_REVIEW, Actor.OPERATOR),
        Transition("approve", frozenset({S.IN_REVIEW}), S.PUBLISHED, Actor.OPERATOR),
        Transition("reject", frozenset({S.IN_REVIEW}), S.REJECTED, Actor.OPERATOR, needs_reason=True),
        Transition(
            "withdraw",
            frozenset({S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.REJECTED, S.PUBLISHED, S.UNDER_NEGOTIATION, S.SUSPENDED}),
            S.WITHDRAWN,
            Actor.OWNER,
        ),
        Transition("negotiation_open", frozenset({S.PUBLISHED}), S.UNDER_NEGOTIATION, Actor.PARTY),
        Transition("negotiation_end", frozenset({S.UNDER_NEGOTIATION}), S.PUBLISHED, Actor.OWNER_OR_OPERATOR),
        Transition("close", frozenset({S.UNDER_NEGOTIATION}), S.CLOSED, Actor.OWNER_OR_OPERATOR),
        Transition(
            "suspend", frozenset({S.PUBLISHED, S.UNDER_NEGOTIATION}), S.SUSPENDED, Actor.SYSTEM, needs_reason=True
        ),
        Transition("reinstate", frozenset({S.SUSPENDED}), S.PUBLISHED, Actor.OPERATOR, needs_reason=True),
        Transition("expire", frozenset({S.PUBLISHED, S.SUSPENDED}), S.EXPIRED, Actor.SYSTEM),
    ],
)

#: the statuses nothing leaves
TERMINAL_STATUSES = (S.CLOSED, S.WITHDRAWN, S.EXPIRED)


# --------------------------------------------------------------------------------------------
# People to tell
# --------------------------------------------------------------------------------------------
def _members(organisation: Organisation) -> list:
    return [m.user for m in organisation.memberships.select_related("user")]


def _counterparty_members(listing: Listing) -> list:
    users = []
    for organisation in listing.counterparties.all():
        users.extend(_members(organisation))
    return users


def operators() -> list:
    User = get_user_model()
    return list(
        User.objects.filter(Q(is_staff=True) | Q(memberships__role=Membership.Role.OPERATOR), is_active=True).distinct()
    )


def _tell_owner(listing: Listing, verb: str, title: str, body: str = "") -> None:
    notify(users=_members(listing.organisation), verb=verb, title=title, body=body, url=listing.get_absolute_url())


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------
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


def scopes_overlap(a, b) -> bool:
    """Two licences (listings or grants) cover some of the same territory, field and period."""
    return (
        _text_overlaps(a.territory, b.territory)
        and _text_overlaps(a.field_of_use, b.field_of_use)
        and _period_overlaps(a.term_start, a.term_end, b.term_start, b.term_end)
    )


class _Terms:
    """The terms under check, whether of a saved listing or of a proposed change."""

    FIELDS = (
        "title", "description", "deal_type", "licence_kind", "territory", "field_of_use", "term_start", "term_end",
        "sublicensing_allowed", "price_amount", "price_currency", "royalty_rate_bps", "expires_on",
    )

    def __init__(self, **values):
        for name in self.FIELDS:
            setattr(self, name, values.get(name))

    @classmethod
    def of(cls, listing: Listing) -> "_Terms":
        return cls(**{name: getattr(listing, name) for name in cls.FIELDS})


def _check_terms(rules: Rules, t: _Terms, *, today: dt.date) -> None:
    rules.check(bool((t.title or "").strip()), "title", "required", "请填写标题 / a title is required")
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


def _patent_in_force(patent: Patent, today: dt.date) -> bool:
    return patent.legal_status == LegalStatus.IN_FORCE and not (patent.expiry_date and patent.expiry_date < today)


def _check_patents(
    rules: Rules, t: _Terms, patents: Sequence[Patent], *, exclude_listing: int | None, today: dt.date
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
        elif not _patent_in_force(patent, today):
            rules.add(
                "patents", "patent_not_in_force",
                f"{label} 的专利权不在有效状态（{patent.get_legal_status_display()}），不能挂牌 / {label} is not in force",
            )
        if patent.pk in encumbered:
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
    if t.deal_type in (DealType.LICENCE, DealType.OPEN_LICENCE):
        _check_licence_conflicts(rules, t, patents, exclude_listing=exclude_listing)


def _check_licence_conflicts(rules: Rules, t: _Terms, patents: Sequence[Patent], *, exclude_listing: int | None) -> None:
    new_excludes = t.deal_type == DealType.LICENCE and t.licence_kind in EXCLUDING_KINDS
    ids = [p.pk for p in patents]
    by_id = {p.pk: p.publication_number for p in patents}
    others = (
        Listing.objects.filter(patents__in=ids, status__in=LIVE_LISTING_STATUSES)
        .exclude(pk=exclude_listing)
        .prefetch_related("listing_patents")
        .distinct()
    )
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
    """The lister is the patentee, or has uploaded the patentee's authorisation (verified by an operator before publishing)."""
    held = set(listing.organisation.patents.filter(pk__in=[p.pk for p in patents]).values_list("pk", flat=True))
    authorisations = list(listing.attachments.filter(kind=AttachmentKind.AUTHORISATION))
    for patent in patents:
        if patent.pk in held:
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


def _full_check(listing: Listing, *, stage: str, today: dt.date) -> None:
    """Every rule, as the listing stands now; ``stage`` is submit (authorisation uploaded) or publish (verified)."""
    rules = Rules()
    t = _Terms.of(listing)
    patents = list(listing.patents.all())
    _check_organisation(rules, listing.organisation)
    _check_terms(rules, t, today=today)
    _check_patents(rules, t, patents, exclude_listing=listing.pk, today=today)
    _check_ownership(rules, listing, patents, need_verified=stage == "publish")
    rules.raise_if_any()


# --------------------------------------------------------------------------------------------
# Transitions: lock, check, write, record, tell
# --------------------------------------------------------------------------------------------
def _lock(listing: Listing) -> Listing:
    return Listing.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=listing.pk)


def _check_actor(transition: Transition, listing: Listing, by, counterparty: Organisation | None = None) -> None:
    if transition.actor == Actor.SYSTEM:
        if by is not None and not permissions.is_operator(by):
            raise NotPermitted("仅运营人员或系统可以执行此操作 / only operators or the system may do this")
        return
    owner = permissions.can_manage_listing(by, listing)
    operator = permissions.is_operator(by)
    allowed = {
        Actor.OWNER: owner,
        Actor.OPERATOR: operator,
        Actor.OWNER_OR_OPERATOR: owner or operator,
        Actor.PARTY: owner or operator or (counterparty is not None and permissions.is_member(by, counterparty)),
    }[transition.actor]
    if not allowed:
        raise NotPermitted(f"您无权对此挂牌执行“{transition.action}” / you may not {transition.action} this listing")


def _begin(
    listing: Listing, action: str, by, reason: str, *, counterparty: Organisation | None = None
) -> tuple[Listing, Transition]:
    locked = _lock(listing)
    transition = LISTING_MACHINE.check(action, locked.status)
    _check_actor(transition, locked, by, counterparty)
    if transition.needs_reason and not (reason or "").strip():
        raise RuleBroken([("reason", "reason_required", "请填写原因 / a reason is required")])
    return locked, transition


def _record(listing: Listing, transition: Transition, by, reason: str, *, extra_fields: Sequence[str] = ()) -> ListingTransition:
    from_status = listing.status
    listing.status = transition.target
    listing.save(update_fields=["status", "updated_at", *extra_fields])
    return ListingTransition.objects.create(
        listing=listing, action=transition.action, from_status=from_status, to_status=transition.target,
        by=by, reason=(reason or "").strip(),
    )


def _reindex(listing: Listing) -> None:
    index_patents_on_commit(listing.patents.values_list("pk", flat=True))


def _published_hook(listing: Listing) -> None:
    """Matching re-scores demands against the newly public listing (after commit)."""
    from listings.matching.services import listing_published_on_commit

    listing_published_on_commit(listing=listing)


def _sync(listing: Listing, locked: Listing) -> Listing:
    """Copy the locked row's state onto the caller's instance so callers see the outcome."""
    listing.refresh_from_db()
    return listing


# --------------------------------------------------------------------------------------------
# Create and edit
# --------------------------------------------------------------------------------------------
def _terms_from(
    *, title, description, deal_type, licence_kind, territory, field_of_use, term_start, term_end,
    sublicensing_allowed, price, royalty_rate_bps, expires_on,
) -> _Terms:
    if price is not None and not isinstance(price, Money):
        raise RuleBroken([("price_amount", "price_not_money", "价格须为金额（Money）/ the price must be Money")])
    is_licence = deal_type in (DealType.LICENCE, DealType.OPEN_LICENCE)
    if deal_type == DealType.OPEN_LICENCE and not licence_kind:
        licence_kind = LicenceKind.NON_EXCLUSIVE
    return _Terms(
        title=(title or "").strip(), description=description or "", deal_type=deal_type,
        licence_kind=licence_kind or "",
        territory=(territory or "").strip() if is_licence else "",
        field_of_use=(field_of_use or "").strip() if is_licence else "",
        term_start=term_start if is_licence else None, term_end=term_end if is_licence else None,
        sublicensing_allowed=bool(sublicensing_allowed) if is_licence else False,
        price_amount=None if price is None else price.amount,
        price_currency="CNY" if price is None else price.currency,
        royalty_rate_bps=royalty_rate_bps, expires_on=expires_on,
    )


@transaction.atomic
def listing_create(
    *,
    organisation: Organisation,
    by,
    title: str,
    patents: Sequence[Patent],
    deal_type: str,
    description: str = "",
    licence_kind: str = "",
    territory: str = "",
    field_of_use: str = "",
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
    sublicensing_allowed: bool = False,
    price: Money | None = None,
    royalty_rate_bps: int | None = None,
    expires_on: dt.date | None = None,
) -> Listing:
    """A draft listing. Terms and rights are checked now; ownership is checked when it is submitted,
    so that a non-patentee can first create the draft and then upload the authorisation."""
    if not permissions.has_role(by, organisation, permissions.LISTING_ROLES):
        raise NotPermitted(f"您不是“{organisation}”的权利人或经纪人 / you do not list for {organisation}")
    today = timezone.localdate()
    t = _terms_from(
        title=title, description=description, deal_type=deal_type, licence_kind=licence_kind, territory=territory,
        field_of_use=field_of_use, term_start=term_start, term_end=term_end,
        sublicensing_allowed=sublicensing_allowed, price=price, royalty_rate_bps=royalty_rate_bps,
        expires_on=expires_on,
    )
    patents = list(patents)
    rules = Rules()
    _check_terms(rules, t, today=today)
    _check_patents(rules, t, patents, exclude_listing=None, today=today)
    rules.raise_if_any()
    listing = Listing.objects.create(
        organisation=organisation, created_by=by, **{name: getattr(t, name) for name in _Terms.FIELDS}
    )
    ListingPatent.objects.bulk_create(
        [ListingPatent(listing=listing, patent=p, position=i) for i, p in enumerate(patents)]
    )
    ListingTransition.objects.create(
        listing=listing, action="create", from_status=S.DRAFT, to_status=S.DRAFT, by=by, reason=""
    )
    return listing



@transaction.atomic
def listing_update(*, listing: Listing, by, patents: Sequence[Patent] | None = None, **changes) -> Listing:
    """Change a draft (or a listing sent back by the reviewer). ``changes`` are the keyword arguments
    of ``listing_create`` except ``organisation``; ``price=None`` means negotiable."""
    locked = _lock(listing)
    if not permissions.can_manage_listing(by, locked):
        raise NotPermitted("您无权修改此挂牌 / you may not edit this listing")
    if not locked.is_editable:
        raise IllegalTransition("listing", "edit", locked.status)
    allowed = {
        "title", "description", "deal_type", "licence_kind", "territory", "field_of_use", "term_start", "term_end",
        "sublicensing_allowed", "price", "royalty_rate_bps", "expires_on",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"listing_update got unexpected fields {sorted(unknown)}")
    current = {name: getattr(locked, name) for name in allowed - {"price"}}
    current["price"] = locked.price
    current.update(changes)
    t = _terms_from(**current)
    new_patents = list(patents) if patents is not None else list(locked.patents.all())
    today = timezone.localdate()
    rules = Rules()
    _check_terms(rules, t, today=today)
    _check_patents(rules, t, new_patents, exclude_listing=locked.pk, today=today)
    rules.raise_if_any()
    for name in _Terms.FIELDS:
        setattr(locked, name, getattr(t, name))
    locked.save()
    if patents is not None:
        locked.listing_patents.all().delete()
        ListingPatent.objects.bulk_create(
            [ListingPatent(listing=locked, patent=p, position=i) for i, p in enumerate(new_patents)]
        )
    ListingTransition.objects.create(
        listing=locked, action="edit", from_status=locked.status, to_status=locked.status, by=by, reason=""
    )
    return _sync(listing, locked)


# --------------------------------------------------------------------------------------------
# Review lifecycle
# --------------------------------------------------------------------------------------------
@transaction.atomic
def listing_submit(*, listing: Listing, by, reason: str = "") -> Listing:
    locked, transition = _begin(listing, "submit", by, reason)
    _full_check(locked, stage="submit", today=timezone.localdate())
    locked.submitted_at = timezone.now()
    _record(locked, transition, by, reason, extra_fields=["submitted_at"])
    notify(
        users=operators(), verb="listing.submitted", title=format_lazy(_("新挂牌待审核：{title}"), title=locked.title),
        body=str(locked.organisation), url="/review/",
    )
    return _sync(listing, locked)


@transaction.atomic
def listing_review_start(*, listing: Listing, by, reason: str = "") -> Listing:
    locked, transition = _begin(listing, "review_start", by, reason)
    _record(locked, transition, by, reason)
    _tell_owner(locked, "listing.in_review", format_lazy(_("挂牌“{title}”进入审核"), title=locked.title))
    return _sync(listing, locked)


@transaction.atomic
def listing_approve(*, listing: Listing, by, reason: str = "") -> Listing:
    locked, transition = _begin(listing, "approve", by, reason)
    _full_check(locked, stage="publish", today=timezone.localdate())
    locked.published_at = timezone.now()
    _record(locked, transition, by, reason, extra_fields=["published_at"])
    _tell_owner(locked, "listing.published", format_lazy(_("挂牌“{title}”已通过审核并发布"), title=locked.title), reason)
    _reindex(locked)
    _published_hook(locked)
    return _sync(listing, locked)


@transaction.atomic
def listing_reject(*, listing: Listing, by, reason: str) -> Listing:
    locked, transition = _begin(listing, "reject", by, reason)
    _record(locked, transition, by, reason)
    _tell_owner(locked, "listing.rejected", format_lazy(_("挂牌“{title}”未通过审核"), title=locked.title), reason.strip())
    return _sync(listing, locked)


@transaction.atomic
def listing_withdraw(*, listing: Listing, by, reason: str = "") -> Listing:
    locked, transition = _begin(listing, "withdraw", by, reason)
    was_public = locked.is_public
    negotiating = _counterparty_members(locked)
    _record(locked, transition, by, reason)
    _tell_owner(locked, "listing.withdrawn", format_lazy(_("挂牌“{title}”已撤回"), title=locked.title), reason)
    if negotiating:
        notify(users=negotiating, verb="listing.withdrawn", title=format_lazy(_("您洽谈中的挂牌“{title}”已被撤回"), title=locked.title), body=reason)
    if was_public:
        _reindex(locked)
    return _sync(listing, locked)


# --------------------------------------------------------------------------------------------
# Trading lifecycle
# --------------------------------------------------------------------------------------------
@transaction.atomic
def listing_negotiation_open(*, listing: Listing, by, counterparty: Organisation, reason: str = "") -> Listing:
    """Talks start on a published listing (the deals module calls this): opened by the holder, an
    operator, or a member of the counterparty making the approach."""
    locked, transition = _begin(listing, "negotiation_open", by, reason, counterparty=counterparty)
    rules = Rules()
    rules.check(
        counterparty.pk != locked.organisation_id, "counterparty", "counterparty_is_owner",
        "不能与自己的机构洽谈 / the counterparty cannot be the listing's own organisation",
    )
    rules.check(
        counterparty.is_verified, "counterparty", "organisation_not_verified",
        f"洽谈方“{counterparty}”尚未通过认证 / the counterparty is not verified",
    )
    rules.raise_if_any()
    _record(locked, transition, by, reason)
    locked.counterparties.add(counterparty)
    _tell_owner(locked, "listing.negotiation", format_lazy(_("挂牌“{title}”进入洽谈：{counterparty}"), title=locked.title, counterparty=counterparty))
    notify(users=_members(counterparty), verb="listing.negotiation", title=format_lazy(_("您已开始洽谈挂牌“{title}”"), title=locked.title),
           url=locked.get_absolute_url())
    return _sync(listing, locked)


@transaction.atomic
def listing_negotiation_end(*, listing: Listing, by, reason: str = "") -> Listing:
    """Talks broke off: the listing is back on the board."""
    locked, transition = _begin(listing, "negotiation_end", by, reason)
    negotiating = _counterparty_members(locked)
    _record(locked, transition, by, reason)
    locked.counterparties.clear()
    _tell_owner(locked, "listing.negotiation_ended", format_lazy(_("挂牌“{title}”的洽谈已结束，重新开放"), title=locked.title), reason)
    notify(users=negotiating, verb="listing.negotiation_ended", title=format_lazy(_("挂牌“{title}”的洽谈已结束"), title=locked.title), body=reason)
    return _sync(listing, locked)


@transaction.atomic
def listing_close(
    *, listing: Listing, by, outcome: str, licensee: Organisation | None = None, reason: str = ""
) -> Listing:
    """The deal is done: assigned, or licensed (which records the licence so later ones are checked against it)."""
    locked, transition = _begin(listing, "close", by, reason)
    rules = Rules()
    expected = CloseOutcome.ASSIGNED if locked.deal_type == DealType.ASSIGNMENT else CloseOutcome.LICENSED
    rules.check(
        outcome == expected, "outcome", "outcome_mismatch",
        f"{locked.get_deal_type_display()}挂牌的成交结果应为“{expected.label}” / the outcome must be {expected.value!r}",
    )
    if expected == CloseOutcome.LICENSED:
        counterparties = set(locked.counterparties.values_list("pk", flat=True))
        rules.check(
            licensee is not None and licensee.pk in counterparties, "licensee", "licensee_not_counterparty",
            "被许可人须为洽谈方 / the licensee must be the party in negotiation",
        )
    rules.raise_if_any()
    locked.close_outcome = outcome
    _record(locked, transition, by, reason, extra_fields=["close_outcome"])
    if expected == CloseOutcome.LICENSED:
        LicenceGrant.objects.bulk_create(
            [
                LicenceGrant(
                    patent=patent, listing=locked, kind=locked.licence_kind or LicenceKind.NON_EXCLUSIVE,
                    licensor=locked.organisation, licensee=licensee, licensee_name=licensee.name,
                    territory=locked.territory, field_of_use=locked.field_of_use, term_start=locked.term_start,
                    term_end=locked.term_end, recorded_by=by,
                )
                for patent in locked.patents.all()
            ]
        )
    _tell_owner(locked, "listing.closed", format_lazy(_("挂牌“{title}”已成交（{outcome}）"), title=locked.title, outcome=CloseOutcome(outcome).label), reason)
    notify(users=_counterparty_members(locked), verb="listing.closed", title=format_lazy(_("挂牌“{title}”已成交"), title=locked.title),
           url=locked.get_absolute_url())
    _reindex(locked)
    return _sync(listing, locked)


@transaction.atomic
def listing_suspend(*, listing: Listing, by, reason: str) -> Listing:
    """Stop trading at once (an operator's decision, a patent leaving force, an encumbrance)."""
    locked, transition = _begin(listing, "suspend", by, reason)
    _suspend_locked(locked, transition, by, reason)
    return _sync(listing, locked)


def _suspend_locked(locked: Listing, transition: Transition, by, reason: str) -> None:
    _record(locked, transition, by, reason)
    _tell_owner(locked, "listing.suspended", format_lazy(_("挂牌“{title}”已暂停交易"), title=locked.title), reason.strip())
    notify(
        users=_counterparty_members(locked), verb="listing.suspended",
        title=format_lazy(_("您洽谈中的挂牌“{title}”已暂停交易"), title=locked.title), body=reason.strip(), url=locked.get_absolute_url(),
    )
    _reindex(locked)


@transaction.atomic
def listing_reinstate(*, listing: Listing, by, reason: str) -> Listing:
    """An operator puts a suspended listing back, once every rule holds again (in force, unencumbered)."""
    locked, transition = _begin(listing, "reinstate", by, reason)
    _full_check(locked, stage="publish", today=timezone.localdate())
    _record(locked, transition, by, reason)
    locked.counterparties.clear()
    _tell_owner(locked, "listing.reinstated", format_lazy(_("挂牌“{title}”已恢复交易"), title=locked.title), reason.strip())
    _reindex(locked)
    _published_hook(locked)
    return _sync(listing, locked)


@transaction.atomic
def listing_expire(*, listing: Listing, by=None, reason: str = "") -> Listing:
    locked, transition = _begin(listing, "expire", by, reason)
    _record(locked, transition, by, reason or "挂牌有效期届满 / the listing's validity ended")
    _tell_owner(locked, "listing.expired", format_lazy(_("挂牌“{title}”已过期"), title=locked.title))
    _reindex(locked)
    return _sync(listing, locked)


def listings_expire_due(*, today: dt.date | None = None) -> list[int]:
    """Expire every public or suspended listing whose validity ended before ``today`` (one transaction each)."""
    today = today or timezone.localdate()
    due = Listing.objects.filter(
        status__in=LISTING_MACHINE["expire"].sources, expires_on__isnull=False, expires_on__lt=today
    ).values_list("pk", flat=True)
    expired = []
    for pk in list(due):
        try:
            listing_expire(listing=Listing(pk=pk), by=None, reason=f"有效期至 {today} 前届满")
        except IllegalTransition:  # moved meanwhile (withdrawn, under negotiation)
            continue
        expired.append(pk)
    return expired


# --------------------------------------------------------------------------------------------
# Files and the patentee's authorisation
# --------------------------------------------------------------------------------------------
@transaction.atomic
def listing_attachment_add(
    *, listing: Listing, by, upload, kind: str, patent: Patent | None = None
) -> ListingAttachment:
    """Store an image, a document or an authorisation after checking type (magic bytes), size and extension."""
    locked = _lock(listing)
    if not permissions.can_manage_listing(by, locked):
        raise NotPermitted("您无权为此挂牌上传文件 / you may not upload to this listing")
    open_for = EDITABLE_FOR_UPLOAD.get(kind, ())
    if locked.status not in open_for:
        raise IllegalTransition("listing", f"upload_{kind}", locked.status)
    if patent is not None and not locked.patents.filter(pk=patent.pk).exists():
        raise RuleBroken([("patent", "patent_not_in_listing", "授权书涉及的专利不在本挂牌中 / that patent is not in this listing")])
    checked = check_upload(upload, kind=kind)
    upload.name = f"upload.{checked.extension}"
    attachment = ListingAttachment(
        listing=locked, kind=kind, patent=patent, original_name=checked.original_name, content_type=checked.mime,
        size=checked.size, uploaded_by=by,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    if kind == AttachmentKind.AUTHORISATION:
        notify(users=operators(), verb="authorisation.uploaded", title=format_lazy(_("授权书待核验：{title}"), title=locked.title), url="/review/")
    return attachment


#: statuses in which each kind of file may be added; an authorisation may follow a submission
EDITABLE_FOR_UPLOAD = {
    AttachmentKind.IMAGE: (S.DRAFT, S.REJECTED),
    AttachmentKind.DOCUMENT: (S.DRAFT, S.REJECTED),
    AttachmentKind.AUTHORISATION: (S.DRAFT, S.REJECTED, S.SUBMITTED, S.IN_REVIEW),
}


@transaction.atomic
def listing_attachment_remove(*, attachment: ListingAttachment, by) -> None:
    locked = _lock(attachment.listing)
    if not permissions.can_manage_listing(by, locked):
        raise NotPermitted("您无权删除此文件 / you may not remove this file")
    if not locked.is_editable:
        raise IllegalTransition("listing", "remove_file", locked.status)
    attachment = ListingAttachment.objects.get(pk=attachment.pk, listing=locked)
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


def _review_authorisation(attachment: ListingAttachment, by, decision: str, note: str) -> ListingAttachment:
    require_operator(by)
    _lock(attachment.listing)
    attachment = ListingAttachment.objects.select_for_update(of=("self",)).select_related("listing").get(pk=attachment.pk)
    if attachment.kind != AttachmentKind.AUTHORISATION:
        raise RuleBroken([("kind", "not_authorisation", "只有授权书需要核验 / only authorisations are verified")])
    if attachment.review_status != ReviewStatus.PENDING:
        raise IllegalTransition("authorisation", decision, attachment.review_status)
    attachment.review_status = decision
    attachment.reviewed_by = by
    attachment.reviewed_at = timezone.now()
    attachment.review_note = (note or "").strip()
    attachment.save(update_fields=["review_status", "reviewed_by", "reviewed_at", "review_note"])
    return attachment


@transaction.atomic
def authorisation_accept(*, attachment: ListingAttachment, by, note: str = "") -> ListingAttachment:
    attachment = _review_authorisation(attachment, by, ReviewStatus.ACCEPTED, note)
    _tell_owner(attachment.listing, "authorisation.accepted", format_lazy(_("挂牌“{title}”的授权书已核验"), title=attachment.listing.title), note)
    return attachment


@transaction.atomic
def authorisation_reject(*, attachment: ListingAttachment, by, reason: str) -> ListingAttachment:
    if not (reason or "").strip():
        raise RuleBroken([("reason", "reason_required", "请填写未通过的原因 / a reason is required")])
    attachment = _review_authorisation(attachment, by, ReviewStatus.REJECTED, reason)
    _tell_owner(attachment.listing, "authorisation.rejected", format_lazy(_("挂牌“{title}”的授权书未通过核验"), title=attachment.listing.title), reason)
    return attachment


# --------------------------------------------------------------------------------------------
# Open licence: published terms anyone may take
# --------------------------------------------------------------------------------------------
@transaction.atomic
def open_licence_take(*, listing: Listing, organisation: Organisation, by) -> list[LicenceGrant]:
    """A verified organisation notifies the patentee and takes a non-exclusive licence on the published
    terms (Patent Law art. 51); the listing stays published for the next taker."""
    locked = _lock(listing)
    if locked.deal_type != DealType.OPEN_LICENCE:
        raise RuleBroken([("deal_type", "not_open_licence", "该挂牌不是开放许可 / this listing is not an open licence")])
    if locked.status != S.PUBLISHED:
        raise IllegalTransition("listing", "open_licence_take", locked.status)
    if not permissions.is_member(by, organisation):
        raise NotPermitted(f"您不代表“{organisation}” / you do not act for {organisation}")
    rules = Rules()
    rules.check(
        organisation.is_verified, "organisation", "organisation_not_verified",
        f"机构“{organisation}”尚未通过认证 / the organisation is not verified",
    )
    rules.check(
        organisation.pk != locked.organisation_id, "organisation", "licensee_is_patentee",
        "权利人不能实施自己的开放许可 / the patentee cannot take its own open licence",
    )
    rules.check(
        not LicenceGrant.objects.filter(listing=locked, licensee=organisation, active=True).exists(),
        "organisation", "open_licence_already_taken", "贵机构已取得该开放许可 / you already hold this open licence",
    )
    patents = list(locked.patents.all())
    today = timezone.localdate()
    encumbered = set(Encumbrance.objects.filter(patent__in=patents, active=True).values_list("patent_id", flat=True))
    for patent in patents:
        rules.check(_patent_in_force(patent, today), "patents", "patent_not_in_force",
                    f"{patent.publication_number} 不在有效状态 / not in force")
        rules.check(patent.pk not in encumbered, "patents", "patent_encumbered",
                    f"{patent.publication_number} 存在权利限制 / encumbered")
    rules.raise_if_any()
    grants = [
        LicenceGrant.objects.create(
            patent=patent, listing=locked, kind=LicenceKind.NON_EXCLUSIVE, licensor=locked.organisation,
            licensee=organisation, licensee_name=organisation.name, territory=locked.territory,
            field_of_use=locked.field_of_use, term_start=locked.term_start, term_end=locked.term_end,
            is_open_licence=True, recorded_by=by,
        )
        for patent in patents
    ]
    ListingTransition.objects.create(
        listing=locked, action="open_licence_taken", from_status=locked.status, to_status=locked.status, by=by,
        reason=f"{organisation.name} 实施开放许可",
    )
    _tell_owner(locked, "open_licence.taken", format_lazy(_("“{organisation}”已实施开放许可“{title}”"), organisation=organisation, title=locked.title))
    notify(users=_members(organisation), verb="open_licence.taken", title=format_lazy(_("您已取得开放许可“{title}”"), title=locked.title),
           url=locked.get_absolute_url())
    return grants


@transaction.atomic
def licence_grant_record(
    *, patent: Patent, kind: str, by, licensee_name: str, licensee: Organisation | None = None,
    licensor: Organisation | None = None, territory: str = "", field_of_use: str = "",
    term_start: dt.date | None = None, term_end: dt.date | None = None, record_number: str = "",
) -> LicenceGrant:
    """An operator records a licence that exists outside the exchange (e.g. from its CNIPA filing, 备案)."""
    require_operator(by)
    rules = Rules()
    rules.check(kind in LicenceKind.values, "kind", "invalid_choice", f"未知许可类型 / unknown licence kind {kind!r}")
    rules.check(bool((licensee_name or "").strip() or licensee), "licensee_name", "required", "请填写被许可人 / licensee required")
    if term_start and term_end and term_end < term_start:
        rules.add("term_end", "term_end_before_start", "许可期限止日早于起日 / the term ends before it starts")
    rules.raise_if_any()
    return LicenceGrant.objects.create(
        patent=patent, kind=kind, licensee=licensee, licensor=licensor,
        licensee_name=(licensee_name or "").strip() or licensee.name, territory=territory,
        field_of_use=field_of_use, term_start=term_start, term_end=term_end, record_number=record_number,
        recorded_by=by,
    )


# --------------------------------------------------------------------------------------------
# Events on a patent that stop trading
# --------------------------------------------------------------------------------------------
def _suspend_public_listings(patent: Patent, *, by, reason: str) -> list[Listing]:
    suspended = []
    pks = Listing.objects.filter(patents=patent, status__in=PUBLIC_STATUSES).values_list("pk", flat=True)
    for pk in list(pks):
        locked = _lock(Listing(pk=pk))
        if locked.status not in PUBLIC_STATUSES:
            continue
        transition = LISTING_MACHINE.check("suspend", locked.status)
        _suspend_locked(locked, transition, by, reason)
        suspended.append(locked)
    return suspended


def _require_system_or_operator(by) -> None:
    if by is not None and not permissions.is_operator(by):
        raise NotPermitted("仅运营人员或系统可以变更法律状态 / only operators or the system may change legal status")


@transaction.atomic
def patent_legal_status_change(*, patent: Patent, status: str, by, reason: str) -> list[Listing]:
    """Record a new legal status; a patent that leaves force suspends its public listings at once and
    the listing's organisation and everyone in negotiation are told. Returns the suspended listings."""
    _require_system_or_operator(by)
    rules = Rules()
    rules.check(status in LegalStatus.values, "status", "invalid_choice", f"未知法律状态 / unknown legal status {status!r}")
    rules.check(bool((reason or "").strip()), "reason", "reason_required", "请填写变更依据 / a reason is required")
    rules.raise_if_any()
    locked = Patent.objects.select_for_update().get(pk=patent.pk)
    if locked.legal_status == status:
        return []
    old = locked.get_legal_status_display()
    locked.legal_status = status
    locked.save(update_fields=["legal_status", "updated_at"])
    patent.legal_status = status
    if status in LIVE_STATUSES:
        return []
    why = f"{locked.publication_number} 法律状态由“{old}”变为“{locked.get_legal_status_display()}”：{reason.strip()}"
    return _suspend_public_listings(locked, by=by, reason=why)


@transaction.atomic
def encumbrance_register(
    *, patent: Patent, kind: str, by, holder: Organisation | None = None, reference: str = "",
    registered_at: dt.datetime | None = None, note: str = "",
) -> Encumbrance:
    """Register a pledge, preservation or other restriction; the patent's public listings stop at once."""
    if by is not None and not (
        permissions.is_operator(by)
        or (holder is not None and permissions.has_role(by, holder, (Membership.Role.LENDER,)))
    ):
        raise NotPermitted("仅运营人员或质权人可以登记权利负担 / only operators or the pledgee may register this")
    rules = Rules()
    rules.check(kind in EncumbranceKind.values, "kind", "invalid_choice", f"未知权利负担类型 / unknown kind {kind!r}")
    rules.raise_if_any()
    locked = Patent.objects.select_for_update().get(pk=patent.pk)
    encumbrance = Encumbrance.objects.create(
        patent=locked, kind=kind, holder=holder, reference=reference, note=note,
        registered_at=registered_at or timezone.now(), registered_by=by,
    )
    why = f"{locked.publication_number} 已登记{encumbrance.get_kind_display()}" + (f"（{reference}）" if reference else "")
    _suspend_public_listings(locked, by=by, reason=why)
    return encumbrance


@transaction.atomic
def encumbrance_release(*, encumbrance: Encumbrance, by, reason: str = "") -> Encumbrance:
    """Release (注销) a restriction. Suspended listings stay suspended until an operator reinstates
    them; their organisations are told they may ask."""
    encumbrance = Encumbrance.objects.select_for_update(of=("self",)).select_related("patent", "holder").get(pk=encumbrance.pk)
    if by is not None and not (
        permissions.is_operator(by)
        or (encumbrance.holder is not None and permissions.has_role(by, encumbrance.holder, (Membership.Role.LENDER,)))
    ):
        raise NotPermitted("仅运营人员或质权人可以解除权利负担 / only operators or the pledgee may release this")
    if not encumbrance.active:
        raise IllegalTransition("encumbrance", "release", "released")
    encumbrance.active = False
    encumbrance.released_at = timezone.now()
    encumbrance.released_by = by
    if reason:
        encumbrance.note = f"{encumbrance.note}\n{reason}".strip()
    encumbrance.save(update_fields=["active", "released_at", "released_by", "note"])
    for listing in Listing.objects.filter(patents=encumbrance.patent, status=S.SUSPENDED).select_related("organisation"):
        _tell_owner(
            listing, "encumbrance.released",
            format_lazy(_("{number} 的{kind}已解除，可申请恢复挂牌“{title}”"), number=encumbrance.patent.publication_number, kind=encumbrance.get_kind_display(), title=listing.title),
        )
    return encumbrance
