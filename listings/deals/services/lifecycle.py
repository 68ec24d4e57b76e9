"""The deal's declared state machine and one locked service per transition (through ``apply_transition``),
plus how a listing's status follows its deals.

enquiry → negotiating → terms_agreed → ip_review → contract_confirmed → closed; declined, cancelled,
paused and disputed beside them. When a settlement domain is registered (``register_settlement``: escrow does
so in its ``ready()``), the money states sit between contract and close: contract_confirmed → awaiting_funding
→ funded → closed, moved only by that domain (``deal_await_funding``, ``deal_funded``, ``deal_settle``,
``deal_settlement_cancel``), and the seller can no longer close a confirmed deal by hand.
"""
from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import LicenceGrant, LicenceKind
from listings.deals import access
from listings.deals.models import (
    AGREED_STATUSES,
    LIVE_DEAL_STATUSES,
    MAX_AMOUNT,
    ContractConfirmation,
    Deal,
    DealKind,
    DealOffer,
    DealStatus,
    DealTransition,
    Side,
)
from listings.deals.services.room import room_event
from listings.deals.signals import deal_closed, deal_contract_confirmed
from listings.demands import permissions as demand_permissions
from listings.demands.models import Demand
from listings.matching.models import DemandMatch
from listings.trading import permissions as listing_permissions
from listings.trading.models import PUBLIC_STATUSES, CloseOutcome, DealType, Listing, ListingStatus
from listings.trading.services import lifecycle as listing_lifecycle
from marketplace import permissions
from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.statemachine import IllegalTransition, RuleBroken, Rules, StateMachine, Transition
from marketplace.kernel.transitions import apply_transition
from marketplace.models import Organisation
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


# --------------------------------------------------------------------------------------------
# Opening
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# The listing follows its deals
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# Transitions
# --------------------------------------------------------------------------------------------
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
    if _settlement is not None and _settlement(deal):
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
