"""The contract and the close: both confirmations complete the contract; the deal closes by hand (no settlement
domain) or through the settlement domain's money states (awaiting funding, funded, settled, cancelled).
"""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from listings.catalogue.models import LicenceGrant, LicenceKind
from listings.deals.models import (
    Deal,
    DealKind,
)
from listings.deals.services import deal_machine
from listings.deals.services.deal_machine import transition
from listings.deals.services.deal_siblings import (
    _cancel_siblings,
    _listing_maybe_reopen,
    _offer_excludes,
    _resume_siblings,
)
from listings.deals.signals import deal_closed, deal_contract_confirmed
from listings.trading.models import CloseOutcome, Listing
from listings.trading.services import lifecycle as listing_lifecycle
from marketplace.kernel.statemachine import IllegalTransition, RuleBroken


def deal_contract_confirm_complete(*, deal: Deal) -> Deal:
    """Both sides confirmed the same text (called by ``contract_confirm``). Escrow listens to
    ``deal_contract_confirmed`` and will insert awaiting_funding → funded before ``deal_close``."""
    return transition(
        deal, "confirm", by=None,
        after=lambda locked: transaction.on_commit(lambda: deal_contract_confirmed.send(sender=Deal, deal=locked)),
    )


def _close_effect(locked: Deal, _t):
    locked.closed_at = timezone.now()
    return ["closed_at"]


def _close_after(by: User | None, record_number: str):
    def after(locked: Deal):
        offer = locked.agreed_offer
        if offer is None:  # the machine only closes a confirmed contract, which has agreed terms
            raise IllegalTransition("deal", "close", locked.status)
        grant_terms = {
            "kind": offer.licence_kind or LicenceKind.NON_EXCLUSIVE, "territory": offer.territory,
            "field_of_use": offer.field_of_use, "term_start": offer.term_start, "term_end": offer.term_end,
            "record_number": record_number,
        }
        if locked.listing_id and _offer_excludes(offer):
            _cancel_siblings(locked)
            listing = Listing.objects.get(pk=locked.listing_id)
            outcome = CloseOutcome.ASSIGNED if offer.deal_type == DealKind.ASSIGNMENT else CloseOutcome.LICENSED
            listing_lifecycle.listing_close(
                listing=listing, by=None, outcome=outcome, licensee=locked.buyer, reason=f"交易 #{locked.pk} 成交",
                grant_terms=grant_terms if outcome == CloseOutcome.LICENSED else None,
            )
        else:
            if offer.deal_type == DealKind.LICENCE:
                LicenceGrant.objects.bulk_create([
                    LicenceGrant(patent=p, listing_id=locked.listing_id, licensor=locked.seller, licensee=locked.buyer,
                                 licensee_name=locked.buyer.name, recorded_by=by, **grant_terms)
                    for p in locked.patents.all()
                ])
            _listing_maybe_reopen(locked)
        transaction.on_commit(lambda: deal_closed.send(sender=Deal, deal=locked))

    return after


def deal_close(deal: Deal, by: User | None, reason: str = "") -> Deal:
    """The deal is done without a settlement domain (the seller or an operator says so).

    Assignment, exclusive or sole licence: the listing closes (recording the licence) and every other deal
    on it is cancelled. Non-exclusive licence: the licence is recorded and the listing stays open. When a
    settlement domain settles this deal, only ``deal_settle`` closes it (refused here as ``settled_through_escrow``)."""
    if deal_machine._settlement is not None and deal_machine._settlement(deal):
        raise RuleBroken([("status", "settled_through_escrow",
                           "价款经资金托管结算，成交由托管放款完成 / the price is settled through escrow: release closes the deal")])
    return transition(deal, "close", by=by, reason=reason, effect=_close_effect, after=_close_after(by, ""))


def deal_settle(*, deal: Deal, by: User | None, reason: str = "", record_number: str = "") -> Deal:
    """The settlement domain released the price: the deal closes as ``deal_close`` does; a licence's record
    filing number (备案号) goes onto the recorded licence."""
    return transition(deal, "settle", by=by, reason=reason, effect=_close_effect, after=_close_after(by, record_number))


def deal_await_funding(*, deal: Deal, by: User | None = None) -> Deal:
    """The settlement domain opened escrow for the confirmed contract: the buyer is asked to fund it."""
    return transition(deal, "await_funding", by=by)


def deal_funded(*, deal: Deal, by: User | None = None) -> Deal:
    """The whole price is held in escrow."""
    return transition(deal, "fund", by=by)


def deal_settlement_cancel(*, deal: Deal, by: User | None, reason: str) -> Deal:
    """The settlement domain ends the deal (funding deadline passed, money refunded, dispute resolved)."""

    def effect(locked: Deal, _t):
        locked._was_holding = locked.agreed_offer_id and _offer_excludes(locked.agreed_offer)  # type: ignore[attr-defined]  # carried to announce
        return []

    def after(locked: Deal):
        if getattr(locked, "_was_holding", False):
            _resume_siblings(locked)
        _listing_maybe_reopen(locked)

    return transition(deal, "settlement_cancel", by=by, reason=reason, effect=effect, after=after)
