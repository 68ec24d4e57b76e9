"""Reading deals: visibility-aware lookups, "my deals" with what waits on me, offers and their differences, the room."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext

from listings.deals import access
from listings.deals.models import (
    BrokerStatus,
    Deal,
    DealMessage,
    DealOffer,
    DealStatus,
    OfferStatus,
    ReviewState,
    Side,
)
from marketplace import permissions

OFFER_LABELS = {
    "deal_type": "交易方式 deal type", "price_amount": "价格（分）price (fen)", "currency": "币种 currency",
    "licence_kind": "许可类型 licence kind", "territory": "地域 territory", "field_of_use": "领域 field of use",
    "term_start": "期限起 term start", "term_end": "期限止 term end", "royalty_bps": "提成（基点）royalty (bps)",
    "milestones": "付款计划 milestones", "expires_at": "有效期 expires",
}


def deal_get(*, pk: int, user: User | None) -> Deal:
    """A deal ``user`` may see (``Deal.DoesNotExist`` otherwise, shown as a 404)."""
    deal = Deal.objects.select_related("listing", "seller", "buyer", "agreed_offer", "demand").get(pk=pk)
    if not access.can_view_deal(user, deal):
        raise Deal.DoesNotExist
    return deal


def offer_payload(offer: DealOffer) -> dict:
    return {
        "id": offer.pk, "version": offer.version, "side": offer.side, "status": offer.status,
        "answers": offer.answers_id, "terms": offer.terms(), "message": offer.message,
        "diff": offer_diff(offer),
    }


def offer_diff(offer: DealOffer) -> list[dict]:
    """What a counter-offer changes against the offer it answers: ``[{field, label, before, after}]``."""
    if offer.answers is None:
        return []
    before, after = offer.answers.terms(), offer.terms()
    return [
        {"field": f, "label": OFFER_LABELS[f], "before": before[f], "after": after[f]}
        for f in DealOffer.TERM_FIELDS
        if before[f] != after[f]
    ]


def deal_offers(deal: Deal) -> list[DealOffer]:
    """The deal's offers in version order, each with ``diff`` against the offer it answers."""
    rows = list(deal.offers.select_related("answers", "made_by").order_by("version"))
    for offer in rows:
        offer.diff = offer_diff(offer)  # type: ignore[attr-defined]  # an annotation for the templates
    return rows


def messages_since(deal: Deal, last_seq: int, *, limit: int = 1000) -> list[DealMessage]:
    return list(deal.messages.filter(seq__gt=last_seq).select_related("author").order_by("seq")[:limit])


def waiting_on(user: User, deal: Deal) -> str:
    """What the deal waits for from ``user``'s side, in the active language, or ``""``."""
    return waiting_on_many(user, [deal])[deal.pk]


def waiting_on_many(user: User, deals: list[Deal]) -> dict[int, str]:
    """``waiting_on`` for many deals in a fixed number of queries (the "my deals" page lists up to 200)."""
    from listings.deals.models import ContractConfirmation, DealBroker, IpReview
    from marketplace.models import Membership

    ids = [deal.pk for deal in deals]
    roles = set(Membership.objects.filter(user=user).values_list("organisation_id", "role"))

    def acts_for(organisation_id: int, side: str) -> bool:  # the role of that side (``access.party_side``)
        return any(org == organisation_id and role in access.SIDE_ROLES[side] for org, role in roles)

    broker_sides: dict[int, str] = {}
    for deal_id, broker_side in DealBroker.objects.filter(
        deal_id__in=ids, status=BrokerStatus.ACCEPTED, organisation__memberships__user=user,
        organisation__memberships__role=Membership.Role.BROKER,
    ).values_list("deal_id", "side"):
        broker_sides.setdefault(deal_id, broker_side)  # the first in the brokers' order, as ``broker_side``
    invited = set(DealBroker.objects.filter(
        deal_id__in=ids, status=BrokerStatus.INVITED, organisation__memberships__user=user,
    ).values_list("deal_id", flat=True))
    negotiating = [deal.pk for deal in deals if deal.status == DealStatus.NEGOTIATING]
    open_offers: dict[int, DealOffer] = {}
    for offer in DealOffer.objects.filter(deal_id__in=negotiating, status=OfferStatus.OPEN).order_by("deal_id", "-version"):
        open_offers.setdefault(offer.deal_id, offer)
    in_review = [deal.pk for deal in deals if deal.status == DealStatus.IP_REVIEW]
    reviews: dict[int, IpReview] = {}
    for review in IpReview.objects.filter(deal_id__in=in_review).order_by("deal_id", "-created_at", "-pk"):
        reviews.setdefault(review.deal_id, review)
    confirmed = set(ContractConfirmation.objects.filter(deal_id__in=in_review, voided_at__isnull=True)
                    .values_list("deal_id", "side"))
    operator = permissions.is_operator(user) if in_review else False

    def one(deal: Deal) -> str:
        own = (Side.SELLER if acts_for(deal.seller_id, Side.SELLER)
               else Side.BUYER if acts_for(deal.buyer_id, Side.BUYER) else None)
        side = own or broker_sides.get(deal.pk)
        if deal.status == DealStatus.ENQUIRY and side and side != deal.opened_by_side:
            return gettext("答复意向")
        if deal.status == DealStatus.NEGOTIATING and side:
            open_offer = open_offers.get(deal.pk)
            if open_offer and open_offer.side != side:
                return gettext("答复报价 v%(version)d") % {"version": open_offer.version}
        if deal.status == DealStatus.IP_REVIEW:
            review = reviews.get(deal.pk)
            if review and review.state == ReviewState.NEEDS_MITIGATION and side:
                return gettext("提交风险应对方案")
            if review and review.state == ReviewState.HELD and operator:
                return gettext("运营决定")
            if review and review.state == ReviewState.CLEARED and own and (deal.pk, own) not in confirmed:
                return gettext("确认合同")
        if deal.pk in invited:
            return gettext("答复经纪邀请")
        return ""

    return {deal.pk: one(deal) for deal in deals}


def my_deals(user: User) -> list[tuple[Deal, str]]:
    """The deals of ``user``'s organisations (as a party or an accepted broker), those waiting on them first."""
    deals = list(Deal.objects.filter(_own_q(user)).distinct().select_related("listing", "seller", "buyer")
                 .order_by("-updated_at")[:200])
    waiting = waiting_on_many(user, deals)
    rows = [(deal, waiting[deal.pk]) for deal in deals]
    rows.sort(key=lambda r: r[1] == "")
    return rows


def _own_q(user: User):
    from django.db.models import Q

    from marketplace.models import Membership

    orgs = Membership.objects.filter(user=user).values("organisation_id")
    return (Q(seller__in=orgs) | Q(buyer__in=orgs)
            | Q(brokers__organisation__in=orgs, brokers__status__in=(BrokerStatus.ACCEPTED, BrokerStatus.INVITED)))


def operator_deals(*, status: str = "") -> list[Deal]:
    qs = Deal.objects.select_related("listing", "seller", "buyer").order_by("-updated_at")
    if status:
        qs = qs.filter(status=status)
    return list(qs[:500])


def pending_broker_invitations(user: User):
    from listings.deals.models import DealBroker
    from marketplace.models import Membership

    return DealBroker.objects.filter(
        status=BrokerStatus.INVITED, organisation__memberships__user=user,
        organisation__memberships__role=Membership.Role.BROKER,
    ).select_related("deal").distinct()


def side_label(side: str | None) -> str:
    return str(dict(Side.choices).get(side, "")) if side else ""
