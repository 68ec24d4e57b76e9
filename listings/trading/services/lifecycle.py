"""Listings: creating and editing them, and their declared lifecycle (one service per transition).

Every transition is one service on the kernel's ``apply_transition``: it locks the listing row
(``select_for_update``), asks ``LISTING_MACHINE`` whether the move is allowed, checks who is acting and the
trading rules, writes the new status and a ``ListingTransition`` row (who and why), then tells the parties. A broken rule
raises ``RuleBroken`` naming the field and rule; an illegal move raises ``IllegalTransition``; in
both cases nothing is written.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import LicenceGrant, LicenceKind, Patent
from listings.catalogue.signals import announce_patents_changed
from listings.trading import permissions as listing_permissions
from listings.trading.models import CloseOutcome, DealType, Listing, ListingStatus, ListingTransition
from listings.trading.services.rules import full_check
from listings.trading.signals import listing_published
from marketplace import permissions
from marketplace.kernel.statemachine import Actor, IllegalTransition, RuleBroken, Rules, StateMachine, Transition
from marketplace.kernel.transitions import apply_transition
from marketplace.models import Organisation
from marketplace.notifications import Text, notify, text
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


def tell_owner(listing: Listing, verb: Verb, title: Text, body: str = "") -> None:
    notify(users=organisation_members(listing.organisation), verb=verb, title=title, body=body, url=listing.get_absolute_url())


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Transitions: every one through the kernel's ``apply_transition`` (lock, check, change, record, tell)
# --------------------------------------------------------------------------------------------
def lock_listing(listing: Listing) -> Listing:
    return Listing.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=listing.pk)


def _may(by: User | None, counterparty: Organisation | None = None) -> Callable[[Transition, Listing], bool]:
    """Who may take a listing transition: the machine's ``actor`` read against ``by`` (``None`` is the system,
    which also acts for deals: ``listings.deals`` drives negotiation and closing)."""

    def allowed(transition: Transition, listing: Listing) -> bool:
        if by is None:
            return transition.actor in (Actor.SYSTEM, Actor.OWNER_OR_OPERATOR, Actor.PARTY)
        operator = permissions.is_operator(by)
        if transition.actor == Actor.SYSTEM:
            return operator
        owner = listing_permissions.can_manage_listing(by, listing)
        return {
            Actor.OWNER: owner,
            Actor.OPERATOR: operator,
            Actor.OWNER_OR_OPERATOR: owner or operator,
            Actor.PARTY: owner or operator or (counterparty is not None and permissions.is_member(by, counterparty)),
        }[transition.actor]

    return allowed


def _apply(
    listing: Listing, action: str, by: User | None, reason: str = "", *,
    effect: Callable[[Listing, Transition], Iterable[str] | None] | None = None,
    announce: Callable[[Listing], None] | None = None, counterparty: Organisation | None = None,
) -> Listing:
    return apply_transition(
        listing, machine=LISTING_MACHINE, action=action, by=by, reason=reason, allowed=_may(by, counterparty),
        history=ListingTransition, effect=effect, announce=announce, related=("organisation",),
    )


def _reindex(listing: Listing) -> None:
    announce_patents_changed(listing.patents.values_list("pk", flat=True))


def _published_hook(listing: Listing) -> None:
    """Tell subscribers (matching re-scores demands against the newly public listing after commit)."""
    listing_published.send(sender=Listing, listing=listing)


def sync(listing: Listing, locked: Listing) -> Listing:
    """Copy the locked row's state onto the caller's instance so callers see the outcome."""
    listing.refresh_from_db()
    return listing


# --------------------------------------------------------------------------------------------
# Create and edit
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Review lifecycle
# --------------------------------------------------------------------------------------------
def lock_patents(listing: Listing) -> list[Patent]:
    """Lock the listing's patent rows, in primary-key order (so two transactions never wait on each other in a
    cycle): two listings of one patent are checked against each other one after the other, the second seeing the
    first's committed status (on Postgres; SQLite serialises writers anyway)."""
    ids = list(listing.listing_patents.values_list("patent_id", flat=True))
    return list(Patent.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def listing_submit(*, listing: Listing, by: User, reason: str = "") -> Listing:
    def effect(locked: Listing, transition: Transition) -> list[str]:
        lock_patents(locked)
        full_check(locked, stage="submit", today=timezone.localdate())
        locked.submitted_at = timezone.now()
        return ["submitted_at"]

    def announce(locked: Listing) -> None:
        notify(
            users=operators(), verb=Verb.LISTING_SUBMITTED, title=text(_("新挂牌待审核：{title}"), title=locked.title),
            body=str(locked.organisation), url="/review/",
        )

    return _apply(listing, "submit", by, reason, effect=effect, announce=announce)


def listing_review_start(*, listing: Listing, by: User, reason: str = "") -> Listing:
    def announce(locked: Listing) -> None:
        tell_owner(locked, Verb.LISTING_IN_REVIEW, text(_("挂牌“{title}”进入审核"), title=locked.title))

    return _apply(listing, "review_start", by, reason, announce=announce)


def listing_approve(*, listing: Listing, by: User, reason: str = "") -> Listing:
    def effect(locked: Listing, transition: Transition) -> list[str]:
        lock_patents(locked)
        full_check(locked, stage="publish", today=timezone.localdate())
        locked.published_at = timezone.now()
        return ["published_at"]

    def announce(locked: Listing) -> None:
        tell_owner(locked, Verb.LISTING_PUBLISHED, text(_("挂牌“{title}”已通过审核并发布"), title=locked.title), reason)
        _reindex(locked)
        _published_hook(locked)

    return _apply(listing, "approve", by, reason, effect=effect, announce=announce)


def listing_reject(*, listing: Listing, by: User, reason: str) -> Listing:
    def announce(locked: Listing) -> None:
        tell_owner(locked, Verb.LISTING_REJECTED, text(_("挂牌“{title}”未通过审核"), title=locked.title), reason.strip())

    return _apply(listing, "reject", by, reason, announce=announce)


def listing_withdraw(*, listing: Listing, by: User, reason: str = "") -> Listing:
    before: dict[str, object] = {}

    def effect(locked: Listing, transition: Transition) -> None:
        before.update(was_public=locked.is_public, negotiating=_counterparty_members(locked))

    def announce(locked: Listing) -> None:
        tell_owner(locked, Verb.LISTING_WITHDRAWN, text(_("挂牌“{title}”已撤回"), title=locked.title), reason)
        if before["negotiating"]:
            notify(users=before["negotiating"], verb=Verb.LISTING_WITHDRAWN,  # type: ignore[arg-type]
                   title=text(_("您洽谈中的挂牌“{title}”已被撤回"), title=locked.title), body=reason)
        if before["was_public"]:
            _reindex(locked)

    return _apply(listing, "withdraw", by, reason, effect=effect, announce=announce)


# --------------------------------------------------------------------------------------------
# Trading lifecycle
# --------------------------------------------------------------------------------------------
def listing_negotiation_open(*, listing: Listing, by: User | None, counterparty: Organisation, reason: str = "") -> Listing:
    """Talks start on a published listing (the deals module calls this): opened by the holder, an
    operator, or a member of the counterparty making the approach."""

    def effect(locked: Listing, transition: Transition) -> None:
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
        locked.counterparties.add(counterparty)

    def announce(locked: Listing) -> None:
        tell_owner(locked, Verb.LISTING_NEGOTIATION, text(_("挂牌“{title}”进入洽谈：{counterparty}"), title=locked.title, counterparty=counterparty))
        notify(users=organisation_members(counterparty), verb=Verb.LISTING_NEGOTIATION,
               title=text(_("您已开始洽谈挂牌“{title}”"), title=locked.title), url=locked.get_absolute_url())

    return _apply(listing, "negotiation_open", by, reason, effect=effect, announce=announce, counterparty=counterparty)


@transaction.atomic
def listing_negotiation_join(*, listing: Listing, by: User | None, counterparty: Organisation, reason: str = "") -> Listing:
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
    return sync(listing, locked)


def listing_negotiation_end(*, listing: Listing, by: User | None, reason: str = "") -> Listing:
    """Talks broke off: the listing is back on the board."""
    negotiating: list[User] = []

    def effect(locked: Listing, transition: Transition) -> None:
        negotiating.extend(_counterparty_members(locked))
        locked.counterparties.clear()

    def announce(locked: Listing) -> None:
        tell_owner(locked, Verb.LISTING_NEGOTIATION_ENDED, text(_("挂牌“{title}”的洽谈已结束，重新开放"), title=locked.title), reason)
        notify(users=negotiating, verb=Verb.LISTING_NEGOTIATION_ENDED, title=text(_("挂牌“{title}”的洽谈已结束"), title=locked.title), body=reason)

    return _apply(listing, "negotiation_end", by, reason, effect=effect, announce=announce)


def listing_close(
    *, listing: Listing, by: User | None, outcome: str, licensee: Organisation | None = None, reason: str = "",
    grant_terms: dict[str, Any] | None = None,
) -> Listing:
    """The deal is done: assigned, or licensed (which records the licence so later ones are checked against it).

    ``grant_terms`` (``kind``, ``territory``, ``field_of_use``, ``term_start``, ``term_end``) are the licence
    actually agreed in a deal; without them the listing's own terms are recorded."""

    def effect(locked: Listing, transition: Transition) -> list[str]:
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
        return ["close_outcome"]

    def announce(locked: Listing) -> None:
        tell_owner(locked, Verb.LISTING_CLOSED, text(_("挂牌“{title}”已成交（{outcome}）"), title=locked.title, outcome=CloseOutcome(outcome).label), reason)
        notify(users=_counterparty_members(locked), verb=Verb.LISTING_CLOSED, title=text(_("挂牌“{title}”已成交"), title=locked.title),
               url=locked.get_absolute_url())
        _reindex(locked)

    return _apply(listing, "close", by, reason, effect=effect, announce=announce)


def listing_suspend(*, listing: Listing, by: User | None, reason: str) -> Listing:
    """Stop trading at once (an operator's decision, a patent leaving force, an encumbrance)."""

    def announce(locked: Listing) -> None:
        tell_owner(locked, Verb.LISTING_SUSPENDED, text(_("挂牌“{title}”已暂停交易"), title=locked.title), reason.strip())
        notify(
            users=_counterparty_members(locked), verb=Verb.LISTING_SUSPENDED,
            title=text(_("您洽谈中的挂牌“{title}”已暂停交易"), title=locked.title), body=reason.strip(),
            url=locked.get_absolute_url(),
        )
        _reindex(locked)

    return _apply(listing, "suspend", by, reason, announce=announce)


def listing_reinstate(*, listing: Listing, by: User, reason: str) -> Listing:
    """An operator puts a suspended listing back, once every rule holds again (in force, unencumbered)."""

    def effect(locked: Listing, transition: Transition) -> None:
        lock_patents(locked)
        full_check(locked, stage="publish", today=timezone.localdate())
        locked.counterparties.clear()

    def announce(locked: Listing) -> None:
        tell_owner(locked, Verb.LISTING_REINSTATED, text(_("挂牌“{title}”已恢复交易"), title=locked.title), reason.strip())
        _reindex(locked)
        _published_hook(locked)

    return _apply(listing, "reinstate", by, reason, effect=effect, announce=announce)


def listing_expire(*, listing: Listing, by: User | None = None, reason: str = "") -> Listing:
    def announce(locked: Listing) -> None:
        tell_owner(locked, Verb.LISTING_EXPIRED, text(_("挂牌“{title}”已过期"), title=locked.title))
        _reindex(locked)

    return _apply(listing, "expire", by, reason or "挂牌有效期届满 / the listing's validity ended", announce=announce)


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


