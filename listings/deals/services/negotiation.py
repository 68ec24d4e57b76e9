"""The negotiating transitions: accept or decline the enquiry, agree terms (then the IP review opens), revise,
cancel, dispute and resolve.
"""
from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import timezone

from listings.deals.models import (
    AGREED_STATUSES,
    Deal,
    DealOffer,
)
from listings.deals.services.deal_machine import transition
from listings.deals.services.deal_siblings import (
    _listing_maybe_reopen,
    _listing_started,
    _offer_excludes,
    _pause_siblings,
    _remember,
    _resume_siblings,
    _void_confirmations,
)


def deal_accept(*, deal: Deal, by: User, reason: str = "") -> Deal:
    """The receiving side accepts the enquiry: the deal starts and the listing is under negotiation."""
    return transition(deal, "accept", by=by, reason=reason, effect=lambda d, t: _listing_started(d))


def deal_decline(*, deal: Deal, by: User, reason: str = "") -> Deal:
    return transition(deal, "decline", by=by, reason=reason)


def deal_cancel(*, deal: Deal, by: User | None, reason: str = "") -> Deal:
    """A party (or an operator) breaks off; an agreed exclusive deal frees the listing for the paused ones."""

    holding = {"was": False}

    def effect(locked: Deal, _t):
        held = locked.status in AGREED_STATUSES
        _void_confirmations(locked)
        holding["was"] = held and _offer_excludes(locked.agreed_offer)
        return []

    def after(locked: Deal):
        if holding["was"]:
            _resume_siblings(locked)
        _listing_maybe_reopen(locked)

    return transition(deal, "cancel", by=by, reason=reason, effect=effect, after=after)


def deal_agree(*, deal: Deal, offer: DealOffer, by: User) -> Deal:
    """Called by ``offer_accept`` under its lock: the accepted offer becomes the agreed terms, exclusive
    siblings pause, and the IP review opens at once."""
    from listings.deals.services.review import review_open_effect

    def effect(locked: Deal, _t):
        locked.agreed_offer = offer
        locked.agreed_at = timezone.now()
        _void_confirmations(locked)
        return ["agreed_offer", "agreed_at"]

    def after(locked: Deal):
        if _offer_excludes(offer):
            _pause_siblings(locked)

    deal = transition(deal, "agree", by=by, effect=effect, after=after)
    return transition(deal, "review_open", by=None, effect=review_open_effect)


def deal_revise(*, deal: Deal, by: User, reason: str = "") -> Deal:
    """Back to negotiating for revised terms (e.g. the answer to a medium-risk review); confirmations are void."""

    holding = {"was": False}

    def effect(locked: Deal, _t):
        holding["was"] = _offer_excludes(locked.agreed_offer)
        locked.agreed_offer = None
        locked.agreed_at = None
        _void_confirmations(locked)
        return ["agreed_offer", "agreed_at"]

    def after(locked: Deal):
        if holding["was"]:
            _resume_siblings(locked)

    return transition(deal, "revise", by=by, reason=reason, effect=effect, after=after)


def deal_dispute(*, deal: Deal, by: User, reason: str) -> Deal:
    return transition(deal, "dispute", by=by, reason=reason, effect=_remember(deal.status))


def deal_dispute_resolve(*, deal: Deal, by: User, reason: str) -> Deal:
    """An operator settles the dispute; the deal returns to IP review and both sides confirm again."""

    def effect(locked: Deal, _t):
        _void_confirmations(locked)
        locked.resume_status = ""
        return ["resume_status"]

    return transition(deal, "resolve", by=by, reason=reason, effect=effect)
