"""Opening a deal: an enquiry (意向) on a published listing, or a holder's recommendation from a demand's match.
"""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import LicenceKind
from listings.deals.models import (
    LIVE_DEAL_STATUSES,
    MAX_AMOUNT,
    Deal,
    DealKind,
    DealStatus,
    DealTransition,
    Side,
)
from listings.deals.services.deal_machine import transition
from listings.deals.services.deal_siblings import _excluding_agreed_elsewhere, _remember
from listings.deals.services.room import room_event
from listings.demands import permissions as demand_permissions
from listings.demands.models import Demand
from listings.matching.models import DemandMatch
from listings.trading import permissions as listing_permissions
from listings.trading.models import PUBLIC_STATUSES, DealType, Listing
from marketplace import permissions
from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.statemachine import Rules
from marketplace.models import Organisation
from marketplace.notifications import notify, text
from marketplace.services import organisation_members
from marketplace.verbs import Verb

D = DealStatus


def _check_enquiry_terms(rules: Rules, deal_type: str, licence_kind: str, price_amount: int | None) -> None:
    if deal_type not in DealKind.values:
        rules.add("deal_type", "invalid_choice", f"未知交易方式 / unknown deal type {deal_type!r}")
    elif deal_type == DealKind.LICENCE:
        rules.check(licence_kind in LicenceKind.values, "licence_kind", "licence_kind_required",
                    "许可须选择独占、排他或普通许可 / a licence must be exclusive, sole or non-exclusive")
    else:
        rules.check(not licence_kind, "licence_kind", "licence_kind_not_applicable",
                    "转让不适用许可类型 / an assignment has no licence kind")
    if price_amount is not None:
        if isinstance(price_amount, bool) or not isinstance(price_amount, int):
            rules.add("price_amount", "price_not_integer", "价格须为整数（分）/ the price is an integer of fen")
        elif not 0 <= price_amount <= MAX_AMOUNT:
            rules.add("price_amount", "amount_out_of_range", "金额须为 0 至 2^53−1 分 / amounts are 0 to 2^53−1 fen")


def _listing_kind_matches(listing: Listing, deal_type: str) -> bool:
    if listing.deal_type == DealType.ASSIGNMENT:
        return deal_type == DealKind.ASSIGNMENT
    return deal_type == DealKind.LICENCE


@transaction.atomic
def deal_open_from_listing(
    *, listing: Listing, by: User, buyer: Organisation, deal_type: str, licence_kind: str = "",
    price_amount: int | None = None, message: str = "",
) -> Deal:
    """A verified buyer (demand-side or broker member) sends an enquiry (意向) on a published listing."""
    if not permissions.has_role(by, buyer, demand_permissions.DEMAND_ROLES):
        raise NotPermitted(f"您不是“{buyer}”的需求方或经纪人 / you do not act for {buyer} as a buyer")
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    rules = Rules()
    rules.check(buyer.is_verified, "buyer", "organisation_not_verified", f"机构“{buyer}”尚未通过认证 / {buyer} is not verified")
    rules.check(buyer.pk != listing.organisation_id, "buyer", "counterparty_is_owner",
                "不能与自己的机构交易 / a deal needs another organisation")
    rules.check(listing.status in PUBLIC_STATUSES, "listing", "listing_not_available",
                f"挂牌当前状态为“{listing.get_status_display()}”，不能发起交易 / the listing is not open for deals")
    _check_enquiry_terms(rules, deal_type, licence_kind or "", price_amount)
    if deal_type in DealKind.values:
        rules.check(_listing_kind_matches(listing, deal_type), "deal_type", "deal_type_mismatch",
                    f"该挂牌的交易方式为“{listing.get_deal_type_display()}” / the listing offers {listing.deal_type}")
    rules.check(
        not Deal.objects.filter(listing=listing, buyer=buyer, status__in=LIVE_DEAL_STATUSES).exists(),
        "listing", "deal_exists", "贵机构在此挂牌上已有进行中的交易 / your organisation already has a live deal on this listing",
    )
    rules.raise_if_any()
    deal = Deal.objects.create(
        listing=listing, seller=listing.organisation, buyer=buyer, opened_by=by, opened_by_side=Side.BUYER,
        deal_type=deal_type, licence_kind=licence_kind or "", enquiry_price_amount=price_amount,
        enquiry_message=(message or "").strip(),
    )
    deal.patents.set(listing.patents.all())
    return _opened(deal, by)


@transaction.atomic
def deal_open_from_match(
    *, match: DemandMatch, by: User, seller: Organisation, deal_type: str, licence_kind: str = "",
    price_amount: int | None = None, message: str = "",
) -> Deal:
    """A holder recommends a matched patent it holds (or lists) to the demand's firm (推荐给需求方)."""
    if not permissions.has_role(by, seller, listing_permissions.LISTING_ROLES):
        raise NotPermitted(f"您不是“{seller}”的权利人或经纪人 / you do not act for {seller} as a holder")
    demand: Demand = match.demand
    listing = match.listing if match.listing is not None and match.listing.organisation_id == seller.pk else None
    rules = Rules()
    holds = match.patent.holders.filter(pk=seller.pk).exists()
    rules.check(holds or listing is not None, "patent", "not_patentee",
                "贵机构既不是该专利的权利人，也未挂牌该专利 / you neither hold nor list this patent")
    rules.check(seller.is_verified, "seller", "organisation_not_verified", f"机构“{seller}”尚未通过认证 / {seller} is not verified")
    rules.check(seller.pk != demand.organisation_id, "seller", "counterparty_is_owner",
                "不能与自己的机构交易 / a deal needs another organisation")
    rules.check(demand.is_public, "demand", "demand_not_available", "该需求当前不接受推荐 / the demand is not open")
    if listing is not None:
        rules.check(listing.status in PUBLIC_STATUSES, "listing", "listing_not_available",
                    "挂牌当前不能发起交易 / the listing is not open for deals")
    _check_enquiry_terms(rules, deal_type, licence_kind or "", price_amount)
    rules.check(
        not Deal.objects.filter(match=match, seller=seller, status__in=LIVE_DEAL_STATUSES).exists(),
        "match", "deal_exists", "已就此匹配发起交易 / a live deal already exists for this match",
    )
    rules.raise_if_any()
    deal = Deal.objects.create(
        listing=listing, match=match, demand=demand, seller=seller, buyer=demand.organisation, opened_by=by,
        opened_by_side=Side.SELLER, deal_type=deal_type, licence_kind=licence_kind or "",
        enquiry_price_amount=price_amount, enquiry_message=(message or "").strip(),
    )
    deal.patents.set(listing.patents.all() if listing else [match.patent])
    return _opened(deal, by)


def _opened(deal: Deal, by: User) -> Deal:
    DealTransition.objects.create(deal=deal, action="open", from_status=D.ENQUIRY, to_status=D.ENQUIRY, by=by,
                                  reason=deal.enquiry_message)
    room_event(deal, "opened", by=by, body=deal.enquiry_message, deal_type=deal.deal_type,
               licence_kind=deal.licence_kind, price_amount=deal.enquiry_price_amount)
    receiver = deal.seller if deal.opened_by_side == Side.BUYER else deal.buyer
    notify(users=organisation_members(receiver), verb=Verb.DEAL_ENQUIRY,
           title=text(_("新的交易意向：{title}"), title=deal.title), body=deal.enquiry_message,
           url=deal.get_absolute_url())
    if deal.listing_id and deal.is_excluding and _excluding_agreed_elsewhere(deal):
        return transition(deal, "pause", by=None, effect=_remember("enquiry"),
                          reason="该挂牌已有条款商定的排他性交易 / another exclusive deal has agreed terms")
    return deal
