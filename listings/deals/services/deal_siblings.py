"""How a listing follows its deals, and how deals on one listing hold each other: the listing goes under
negotiation when a deal starts and back on the board when the last one ends; agreed exclusive terms pause the
siblings, and closing cancels them.
"""
from __future__ import annotations

from django.utils import timezone

from listings.catalogue.models import LicenceKind
from listings.deals.models import (
    AGREED_STATUSES,
    LIVE_DEAL_STATUSES,
    ContractConfirmation,
    Deal,
    DealKind,
    DealOffer,
    DealStatus,
)
from listings.deals.services.deal_machine import STARTED_STATUSES, transition
from listings.trading.models import Listing, ListingStatus
from listings.trading.services import lifecycle as listing_lifecycle
from marketplace.kernel.statemachine import RuleBroken

D = DealStatus


def _listing_started(deal: Deal) -> None:
    if not deal.listing_id:
        return
    listing = Listing.objects.get(pk=deal.listing_id)
    if listing.status == ListingStatus.PUBLISHED:
        listing_lifecycle.listing_negotiation_open(listing=listing, by=None, counterparty=deal.buyer,
                                                   reason=f"交易 #{deal.pk}")
    elif listing.status == ListingStatus.UNDER_NEGOTIATION:
        listing_lifecycle.listing_negotiation_join(listing=listing, by=None, counterparty=deal.buyer,
                                                   reason=f"交易 #{deal.pk}")
    else:
        raise RuleBroken([("listing", "listing_not_available",
                           f"挂牌当前状态为“{listing.get_status_display()}”，不能开始交易 / the listing is not open for deals")])


def _listing_maybe_reopen(deal: Deal) -> None:
    """The last started deal on a listing ended: the listing goes back on the board."""
    if not deal.listing_id:
        return
    listing = Listing.objects.get(pk=deal.listing_id)
    others = Deal.objects.filter(listing=listing, status__in=STARTED_STATUSES).exclude(pk=deal.pk)
    if listing.status == ListingStatus.UNDER_NEGOTIATION and not others.exists():
        listing_lifecycle.listing_negotiation_end(listing=listing, by=None, reason=f"交易 #{deal.pk} 结束")


def _siblings(deal: Deal):
    if not deal.listing_id:
        return Deal.objects.none()
    return Deal.objects.filter(listing_id=deal.listing_id).exclude(pk=deal.pk)


def _excluding_agreed_elsewhere(deal: Deal) -> Deal | None:
    for other in _siblings(deal).filter(status__in=AGREED_STATUSES).select_related("agreed_offer"):
        if other.agreed_offer and _offer_excludes(other.agreed_offer):
            return other
    return None


def _offer_excludes(offer: DealOffer | None) -> bool:
    """Assignments and exclusive or sole licences hold the listing for one deal (no offer holds nothing)."""
    if offer is None:
        return False
    return offer.deal_type == DealKind.ASSIGNMENT or offer.licence_kind in (LicenceKind.EXCLUSIVE, LicenceKind.SOLE)


def _remember(status: str):
    def effect(locked: Deal, _t):
        locked.resume_status = status
        return ["resume_status"]

    return effect


def _pause_siblings(deal: Deal) -> None:
    for other in _siblings(deal).filter(status__in=(D.ENQUIRY, D.NEGOTIATING)):
        transition(other, "pause", by=None, effect=_remember(other.status),
                   reason=f"同一挂牌的交易 #{deal.pk} 已商定排他性条款 / deal #{deal.pk} agreed exclusive terms")


def _resume_siblings(deal: Deal) -> None:
    for other in _siblings(deal).filter(status=D.PAUSED):
        action = "resume_enquiry" if other.resume_status == D.ENQUIRY else "resume"
        transition(other, action, by=None, effect=_remember(""),
                   reason=f"交易 #{deal.pk} 未成交，恢复洽谈 / deal #{deal.pk} no longer holds the listing")


def _cancel_siblings(deal: Deal) -> None:
    for other in _siblings(deal).filter(status__in=LIVE_DEAL_STATUSES):
        transition(other, "cancel", by=None, reason=f"同一挂牌的交易 #{deal.pk} 已成交 / deal #{deal.pk} closed the listing")


def _void_confirmations(deal: Deal) -> None:
    ContractConfirmation.objects.filter(deal=deal, voided_at__isnull=True).update(voided_at=timezone.now())
