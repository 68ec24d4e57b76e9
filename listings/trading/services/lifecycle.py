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

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import LicenceGrant, LicenceKind, Patent
from listings.catalogue.signals import announce_patents_changed
from listings.trading import permissions as listing_permissions
from listings.trading.models import CloseOutcome, DealType, Listing, ListingPatent, ListingStatus, ListingTransition
from listings.trading.services.rules import Terms, check_patents, check_terms, full_check
from listings.trading.signals import listing_published
from marketplace import permissions
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import Actor, IllegalTransition, RuleBroken, Rules, StateMachine, Transition
from marketplace.models import Organisation
from marketplace.notifications import notify
from marketplace.services import NotPermitted, operators, organisation_members
from marketplace.verbs import Verb

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
def _counterparty_members(listing: Listing) -> list:
    users = []
    for organisation in listing.counterparties.all():
        users.extend(organisation_members(organisation))
    return users


def tell_owner(listing: Listing, verb: Verb, title: str | Promise, body: str = "") -> None:
    notify(users=organisation_members(listing.organisation), verb=verb, title=title, body=body, url=listing.get_absolute_url())


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Transitions: lock, check, write, record, tell
# --------------------------------------------------------------------------------------------
def lock_listing(listing: Listing) -> Listing:
    return Listing.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=listing.pk)


def _check_actor(transition: Transition, listing: Listing, by, counterparty: Organisation | None = None) -> None:
    if by is None and transition.actor in (Actor.OWNER_OR_OPERATOR, Actor.PARTY):
        return  # the system acting for a deal (``listings.deals`` drives negotiation and closing)
    if transition.actor == Actor.SYSTEM:
        if by is not None and not permissions.is_operator(by):
            raise NotPermitted("仅运营人员或系统可以执行此操作 / only operators or the system may do this")
        return
    owner = listing_permissions.can_manage_listing(by, listing)
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
    locked = lock_listing(listing)
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
    announce_patents_changed(listing.patents.values_list("pk", flat=True))


def _published_hook(listing: Listing) -> None:
    """Tell subscribers (matching re-scores demands against the newly public listing after commit)."""
    listing_published.send(sender=Listing, listing=listing)


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
) -> Terms:
    if price is not None and not isinstance(price, Money):
        raise RuleBroken([("price_amount", "price_not_money", "价格须为金额（Money）/ the price must be Money")])
    is_licence = deal_type in (DealType.LICENCE, DealType.OPEN_LICENCE)
    if deal_type == DealType.OPEN_LICENCE and not licence_kind:
        licence_kind = LicenceKind.NON_EXCLUSIVE
    return Terms(
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
    if not permissions.has_role(by, organisation, listing_permissions.LISTING_ROLES):
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
    check_terms(rules, t, today=today)
    check_patents(rules, t, patents, exclude_listing=None, today=today)
    rules.raise_if_any()
    listing = Listing.objects.create(
        organisation=organisation, created_by=by, **{name: getattr(t, name) for name in Terms.FIELDS}
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
    locked = lock_listing(listing)
    if not listing_permissions.can_manage_listing(by, locked):
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
    check_terms(rules, t, today=today)
    check_patents(rules, t, new_patents, exclude_listing=locked.pk, today=today)
    rules.raise_if_any()
    for name in Terms.FIELDS:
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
    full_check(locked, stage="submit", today=timezone.localdate())
    locked.submitted_at = timezone.now()
    _record(locked, transition, by, reason, extra_fields=["submitted_at"])
    notify(
        users=operators(), verb=Verb.LISTING_SUBMITTED, title=format_lazy(_("新挂牌待审核：{title}"), title=locked.title),
        body=str(locked.organisation), url="/review/",
    )
    return _sync(listing, locked)


@transaction.atomic
def listing_review_start(*, listing: Listing, by, reason: str = "") -> Listing:
    locked, transition = _begin(listing, "review_start", by, reason)
    _record(locked, transition, by, reason)
    tell_owner(locked, Verb.LISTING_IN_REVIEW, format_lazy(_("挂牌“{title}”进入审核"), title=locked.title))
    return _sync(listing, locked)


@transaction.atomic
def listing_approve(*, listing: Listing, by, reason: str = "") -> Listing:
    locked, transition = _begin(listing, "approve", by, reason)
    full_check(locked, stage="publish", today=timezone.localdate())
    locked.published_at = timezone.now()
    _record(locked, transition, by, reason, extra_fields=["published_at"])
    tell_owner(locked, Verb.LISTING_PUBLISHED, format_lazy(_("挂牌“{title}”已通过审核并发布"), title=locked.title), reason)
    _reindex(locked)
    _published_hook(locked)
    return _sync(listing, locked)


@transaction.atomic
def listing_reject(*, listing: Listing, by, reason: str) -> Listing:
    locked, transition = _begin(listing, "reject", by, reason)
    _record(locked, transition, by, reason)
    tell_owner(locked, Verb.LISTING_REJECTED, format_lazy(_("挂牌“{title}”未通过审核"), title=locked.title), reason.strip())
    return _sync(listing, locked)


@transaction.atomic
def listing_withdraw(*, listing: Listing, by, reason: str = "") -> Listing:
    locked, transition = _begin(listing, "withdraw", by, reason)
    was_public = locked.is_public
    negotiating = _counterparty_members(locked)
    _record(locked, transition, by, reason)
    tell_owner(locked, Verb.LISTING_WITHDRAWN, format_lazy(_("挂牌“{title}”已撤回"), title=locked.title), reason)
    if negotiating:
        notify(users=negotiating, verb=Verb.LISTING_WITHDRAWN, title=format_lazy(_("您洽谈中的挂牌“{title}”已被撤回"), title=locked.title), body=reason)
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
    tell_owner(locked, Verb.LISTING_NEGOTIATION, format_lazy(_("挂牌“{title}”进入洽谈：{counterparty}"), title=locked.title, counterparty=counterparty))
    notify(users=organisation_members(counterparty), verb=Verb.LISTING_NEGOTIATION, title=format_lazy(_("您已开始洽谈挂牌“{title}”"), title=locked.title),
           url=locked.get_absolute_url())
    return _sync(listing, locked)


@transaction.atomic
def listing_negotiation_join(*, listing: Listing, by, counterparty: Organisation, reason: str = "") -> Listing:
    """Another organisation starts a deal on a listing already under negotiation (parallel licence talks):
    it becomes a counterparty; the status stays, a ``negotiation_join`` row records who joined."""
    locked = lock_listing(listing)
    if locked.status != S.UNDER_NEGOTIATION:
        raise IllegalTransition("listing", "negotiation_join", locked.status)
    if by is not None and not (listing_permissions.can_manage_listing(by, locked) or permissions.is_operator(by)):
        raise NotPermitted("您无权为此挂牌增加洽谈方 / you may not add a counterparty to this listing")
    if counterparty.pk == locked.organisation_id:
        raise RuleBroken([("counterparty", "counterparty_is_owner", "不能与自己的机构洽谈 / the counterparty cannot be the listing's own organisation")])
    locked.counterparties.add(counterparty)
    ListingTransition.objects.create(
        listing=locked, action="negotiation_join", from_status=locked.status, to_status=locked.status, by=by,
        reason=(reason or "").strip() or str(counterparty),
    )
    return _sync(listing, locked)


@transaction.atomic
def listing_negotiation_end(*, listing: Listing, by, reason: str = "") -> Listing:
    """Talks broke off: the listing is back on the board."""
    locked, transition = _begin(listing, "negotiation_end", by, reason)
    negotiating = _counterparty_members(locked)
    _record(locked, transition, by, reason)
    locked.counterparties.clear()
    tell_owner(locked, Verb.LISTING_NEGOTIATION_ENDED, format_lazy(_("挂牌“{title}”的洽谈已结束，重新开放"), title=locked.title), reason)
    notify(users=negotiating, verb=Verb.LISTING_NEGOTIATION_ENDED, title=format_lazy(_("挂牌“{title}”的洽谈已结束"), title=locked.title), body=reason)
    return _sync(listing, locked)


@transaction.atomic
def listing_close(
    *, listing: Listing, by, outcome: str, licensee: Organisation | None = None, reason: str = "",
    grant_terms: dict | None = None,
) -> Listing:
    """The deal is done: assigned, or licensed (which records the licence so later ones are checked against it).

    ``grant_terms`` (``kind``, ``territory``, ``field_of_use``, ``term_start``, ``term_end``) are the licence
    actually agreed in a deal; without them the listing's own terms are recorded."""
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
        assert licensee is not None  # checked by the rules above
        agreed = {
            "kind": locked.licence_kind or LicenceKind.NON_EXCLUSIVE, "territory": locked.territory,
            "field_of_use": locked.field_of_use, "term_start": locked.term_start, "term_end": locked.term_end,
            **(grant_terms or {}),
        }
        LicenceGrant.objects.bulk_create(
            [
                LicenceGrant(
                    patent=patent, listing=locked, licensor=locked.organisation, licensee=licensee,
                    licensee_name=licensee.name, recorded_by=by, **agreed,
                )
                for patent in locked.patents.all()
            ]
        )
    tell_owner(locked, Verb.LISTING_CLOSED, format_lazy(_("挂牌“{title}”已成交（{outcome}）"), title=locked.title, outcome=CloseOutcome(outcome).label), reason)
    notify(users=_counterparty_members(locked), verb=Verb.LISTING_CLOSED, title=format_lazy(_("挂牌“{title}”已成交"), title=locked.title),
           url=locked.get_absolute_url())
    _reindex(locked)
    return _sync(listing, locked)


@transaction.atomic
def listing_suspend(*, listing: Listing, by, reason: str) -> Listing:
    """Stop trading at once (an operator's decision, a patent leaving force, an encumbrance)."""
    locked, transition = _begin(listing, "suspend", by, reason)
    suspend_locked(locked, transition, by, reason)
    return _sync(listing, locked)


def suspend_locked(locked: Listing, transition: Transition, by, reason: str) -> None:
    _record(locked, transition, by, reason)
    tell_owner(locked, Verb.LISTING_SUSPENDED, format_lazy(_("挂牌“{title}”已暂停交易"), title=locked.title), reason.strip())
    notify(
        users=_counterparty_members(locked), verb=Verb.LISTING_SUSPENDED,
        title=format_lazy(_("您洽谈中的挂牌“{title}”已暂停交易"), title=locked.title), body=reason.strip(), url=locked.get_absolute_url(),
    )
    _reindex(locked)


@transaction.atomic
def listing_reinstate(*, listing: Listing, by, reason: str) -> Listing:
    """An operator puts a suspended listing back, once every rule holds again (in force, unencumbered)."""
    locked, transition = _begin(listing, "reinstate", by, reason)
    full_check(locked, stage="publish", today=timezone.localdate())
    _record(locked, transition, by, reason)
    locked.counterparties.clear()
    tell_owner(locked, Verb.LISTING_REINSTATED, format_lazy(_("挂牌“{title}”已恢复交易"), title=locked.title), reason.strip())
    _reindex(locked)
    _published_hook(locked)
    return _sync(listing, locked)


@transaction.atomic
def listing_expire(*, listing: Listing, by=None, reason: str = "") -> Listing:
    locked, transition = _begin(listing, "expire", by, reason)
    _record(locked, transition, by, reason or "挂牌有效期届满 / the listing's validity ended")
    tell_owner(locked, Verb.LISTING_EXPIRED, format_lazy(_("挂牌“{title}”已过期"), title=locked.title))
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


# --------------------------------------------------------------------------------------------
# Open licence: published terms anyone may take
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Events on a patent that stop trading
# --------------------------------------------------------------------------------------------


