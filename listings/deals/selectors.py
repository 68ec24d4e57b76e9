"""Reading deals: visibility-aware lookups, "my deals" with what waits on me, offers and their differences, the room."""
from __future__ import annotations

from django.contrib.auth.models import User

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
    """What the deal waits for from ``user``'s side, or ``""``."""
    side = access.acting_side(user, deal)
    if deal.status == DealStatus.ENQUIRY and side and side != deal.opened_by_side:
        return "答复意向 / answer the enquiry"
    if deal.status == DealStatus.NEGOTIATING and side:
        open_offer = deal.offers.filter(status=OfferStatus.OPEN).order_by("-version").first()
        if open_offer and open_offer.side != side:
            return f"答复报价 v{open_offer.version} / answer offer v{open_offer.version}"
    if deal.status == DealStatus.IP_REVIEW:
        review = deal.ip_reviews.order_by("-created_at", "-pk").first()
        if review and review.state == ReviewState.NEEDS_MITIGATION and side:
            return "提交风险应对方案 / submit a mitigation plan"
        if review and review.state == ReviewState.HELD and permissions.is_operator(user):
            return "运营决定 / operator decision"
        own = access.party_side(user, deal)
        if review and review.state == ReviewState.CLEARED and own and not deal.confirmations.filter(
            side=own, voided_at__isnull=True
        ).exists():
            return "确认合同 / confirm the contract"
    if deal.brokers.filter(status=BrokerStatus.INVITED, organisation__memberships__user=user).exists():
        return "答复经纪邀请 / answer the broker invitation"
    return ""


def my_deals(user: User) -> list[tuple[Deal, str]]:
    """The deals of ``user``'s organisations (as a party or an accepted broker), those waiting on them first."""
    deals = Deal.objects.filter(_own_q(user)).distinct().select_related("listing", "seller", "buyer")
    rows = [(deal, waiting_on(user, deal)) for deal in deals.order_by("-updated_at")[:200]]
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
