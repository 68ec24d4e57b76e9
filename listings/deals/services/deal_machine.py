"""The deal's declared state machine, who may move it, and ``transition``: one locked, audited, recorded and
announced move (through ``apply_transition``), with the listing's row locked before the deal's.

enquiry → negotiating → terms_agreed → ip_review → contract_confirmed → closed; declined, cancelled, paused and
disputed beside them. When a settlement domain is registered (``register_settlement``: escrow does so in its
``ready()``), the money states sit between contract and close: contract_confirmed → awaiting_funding → funded →
closed, moved only by that domain. The services per transition live in ``opening``, ``negotiation`` and
``closing``; ``lifecycle`` gathers their public names.
"""
from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from listings.deals import access
from listings.deals.models import (
    LIVE_DEAL_STATUSES,
    Deal,
    DealStatus,
    DealTransition,
    Side,
)
from listings.deals.services.room import room_event
from listings.trading.models import Listing
from marketplace import permissions
from marketplace.kernel.statemachine import StateMachine, Transition
from marketplace.kernel.transitions import apply_transition
from marketplace.notifications import Text, notify, text
from marketplace.services import organisation_members
from marketplace.verbs import Verb

D = DealStatus


class DealActor:
    RECEIVER = "receiver"  # the side that did not open the deal (accepts or declines the enquiry)
    PARTY = "party"  # either side (own members or accepted brokers), or an operator
    SELLER_OR_OPERATOR = "seller_or_operator"
    OPERATOR = "operator"
    SYSTEM = "system"  # the deals services themselves (by=None), or an operator


DEAL_MACHINE = StateMachine(
    "deal",
    [
        Transition("accept", frozenset({D.ENQUIRY}), D.NEGOTIATING, DealActor.RECEIVER),
        Transition("decline", frozenset({D.ENQUIRY}), D.DECLINED, DealActor.RECEIVER),
        Transition(
            "cancel",
            frozenset({D.ENQUIRY, D.NEGOTIATING, D.TERMS_AGREED, D.IP_REVIEW, D.PAUSED, D.DISPUTED}),
            D.CANCELLED,
            DealActor.PARTY,
        ),
        Transition("pause", frozenset({D.ENQUIRY, D.NEGOTIATING}), D.PAUSED, DealActor.SYSTEM),
        Transition("resume", frozenset({D.PAUSED}), D.NEGOTIATING, DealActor.SYSTEM),
        Transition("resume_enquiry", frozenset({D.PAUSED}), D.ENQUIRY, DealActor.SYSTEM),
        Transition("agree", frozenset({D.NEGOTIATING}), D.TERMS_AGREED, DealActor.PARTY),
        Transition("review_open", frozenset({D.TERMS_AGREED}), D.IP_REVIEW, DealActor.SYSTEM),
        Transition("revise", frozenset({D.TERMS_AGREED, D.IP_REVIEW}), D.NEGOTIATING, DealActor.PARTY),
        Transition("confirm", frozenset({D.IP_REVIEW}), D.CONTRACT_CONFIRMED, DealActor.SYSTEM),
        Transition(
            "dispute", frozenset({D.TERMS_AGREED, D.IP_REVIEW, D.CONTRACT_CONFIRMED}), D.DISPUTED, DealActor.PARTY,
            needs_reason=True,
        ),
        Transition("resolve", frozenset({D.DISPUTED}), D.IP_REVIEW, DealActor.OPERATOR, needs_reason=True),
        Transition("close", frozenset({D.CONTRACT_CONFIRMED}), D.CLOSED, DealActor.SELLER_OR_OPERATOR),
        # the money states, moved only by the registered settlement domain (escrow)
        Transition("await_funding", frozenset({D.CONTRACT_CONFIRMED}), D.AWAITING_FUNDING, DealActor.SYSTEM),
        Transition("fund", frozenset({D.AWAITING_FUNDING}), D.FUNDED, DealActor.SYSTEM),
        Transition("settle", frozenset({D.FUNDED}), D.CLOSED, DealActor.SYSTEM),
        Transition(
            "settlement_cancel", frozenset({D.AWAITING_FUNDING, D.FUNDED}), D.CANCELLED, DealActor.SYSTEM,
            needs_reason=True,
        ),
    ],
)

#: the settlement domain's answer to "is this deal's price settled through you?" (``register_settlement``)
_settlement: Callable[[Deal], bool] | None = None


def register_settlement(settles: Callable[[Deal], bool]) -> None:
    """A downstream settlement domain (escrow) declares that it settles deals' prices: a contract-confirmed
    deal it settles closes only through ``deal_settle``. Deals never import it; it registers itself."""
    global _settlement
    _settlement = settles

#: deals that have started (the listing is under negotiation for them)
STARTED_STATUSES = tuple(s for s in LIVE_DEAL_STATUSES if s != D.ENQUIRY)


def _allowed(by: User | None):
    def check(transition: Transition, deal: Deal) -> bool:
        operator = permissions.is_operator(by)
        if transition.actor == DealActor.SYSTEM:
            return by is None or operator
        if transition.actor == DealActor.OPERATOR:
            return operator
        side = access.acting_side(by, deal)
        if transition.actor == DealActor.RECEIVER:
            return side is not None and side != deal.opened_by_side
        if transition.actor == DealActor.SELLER_OR_OPERATOR:
            return by is None or operator or side == Side.SELLER
        return by is None or side is not None or operator  # PARTY (by=None: the deals services themselves)

    return check


def _people(deal: Deal) -> list[User]:
    users = organisation_members(deal.seller) + organisation_members(deal.buyer)
    for broker in deal.brokers.filter(status="accepted").select_related("organisation"):
        if broker.organisation is not None:
            users += organisation_members(broker.organisation)
    return users


def _tell(deal: Deal, action: str, title: Text) -> None:
    """Tell everyone on the deal that ``action`` happened (each declared deal action has its ``Verb``)."""
    notify(users=_people(deal), verb=Verb(f"deal.{action}"), title=title, url=deal.get_absolute_url())


def lock_listing_of(deal: Deal) -> Listing | None:
    """Lock the deal's listing row (first, before any deal row) inside the caller's transaction."""
    if not deal.listing_id:
        return None
    return Listing.objects.select_for_update().get(pk=deal.listing_id)


def transition(
    deal: Deal, action: str, *, by: User | None, reason: str = "", effect=None, after=None
) -> Deal:
    """Run one declared deal transition: locked, checked, audited, recorded in the room, announced.

    The listing's row is locked before the deal's (``lock_listing_of``): every path that may touch a listing
    and several of its deals takes the locks in that one order, so two deals on one listing serialise instead
    of deadlocking, and only one of them can reach agreed exclusive terms."""

    def announce(locked: Deal) -> None:
        room_event(locked, "status", by=by, body=reason, action=action, status=locked.status)
        _tell(locked, action, text(_("交易 #{pk}“{title}”：{status}"), pk=locked.pk, title=locked.title,
                                          status=DealStatus(locked.status).label))
        if after:
            after(locked)

    with transaction.atomic():
        lock_listing_of(deal)
        return apply_transition(
            deal, machine=DEAL_MACHINE, action=action, by=by, reason=reason, allowed=_allowed(by),
            history=DealTransition, effect=effect, announce=announce,
        )
