"""Offers: immutable, versioned terms; making, countering, accepting, rejecting, withdrawing and expiring them."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_date

from listings.catalogue.models import LicenceKind
from listings.deals import access
from listings.deals.models import (
    AGREED_STATUSES,
    MAX_AMOUNT,
    BrokerStatus,
    Deal,
    DealKind,
    DealOffer,
    MessageKind,
    OfferStatus,
)
from listings.deals.services.lifecycle import _excluding_agreed_elsewhere, _offer_excludes, deal_agree, lock_listing_of
from listings.deals.services.room import room_record
from listings.trading.models import DealType, ListingStatus
from listings.trading.services.rules import Terms, check_patents
from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.statemachine import IllegalTransition, RuleBroken, Rules

MAX_MILESTONES = 24


def _is_amount(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AMOUNT


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    return parse_date(str(value))


def clean_milestones(rules: Rules, milestones: Sequence, price_amount) -> list[dict]:
    """``[{"label", "amount" (fen), "due" (ISO date or blank)}]``; the amounts sum to the price."""
    if not isinstance(milestones, (list, tuple)):
        rules.add("milestones", "milestones_invalid", "付款计划须为列表 / milestones must be a list")
        return []
    if len(milestones) > MAX_MILESTONES:
        rules.add("milestones", "milestones_too_many", f"付款节点最多 {MAX_MILESTONES} 个 / at most {MAX_MILESTONES} milestones")
        return []
    cleaned: list[dict[str, Any]] = []
    for i, item in enumerate(milestones, 1):
        if not isinstance(item, dict):
            rules.add("milestones", "milestones_invalid", f"第 {i} 个付款节点格式错误 / milestone {i} is malformed")
            continue
        label = str(item.get("label") or "").strip()[:200]
        amount = item.get("amount")
        due_raw = item.get("due") or ""
        due = _date(due_raw) if due_raw else None
        if not label:
            rules.add("milestones", "milestone_label_required", f"第 {i} 个付款节点缺少名称 / milestone {i} needs a label")
        if not _is_amount(amount):
            rules.add("milestones", "milestone_amount_invalid",
                      f"第 {i} 个付款节点金额须为 0 至 2^53−1 的整数（分）/ milestone {i} amount must be integer fen in range")
        if due_raw and due is None:
            rules.add("milestones", "milestone_due_invalid", f"第 {i} 个付款节点日期格式错误 / milestone {i} due date is malformed")
        cleaned.append({"label": label, "amount": amount, "due": due.isoformat() if due else ""})
    if cleaned and _is_amount(price_amount) and all(_is_amount(m["amount"]) for m in cleaned):
        total = sum(m["amount"] for m in cleaned)
        if total != price_amount:
            rules.add("milestones", "milestones_sum_mismatch",
                      f"付款计划合计 {total} 分，与价格 {price_amount} 分不符 / milestones sum to {total}, the price is {price_amount}")
    return cleaned


def check_offer_terms(rules: Rules, deal: Deal, terms: dict, *, now: dt.datetime) -> dict:
    """Validate and normalise offer terms; every inconsistency is named by its field."""
    deal_type = terms.get("deal_type")
    licence_kind = terms.get("licence_kind") or ""
    price_amount = terms.get("price_amount")
    royalty = terms.get("royalty_bps")
    term_start, term_end = _date(terms.get("term_start")), _date(terms.get("term_end"))
    expires_at = terms.get("expires_at")
    if deal_type not in DealKind.values:
        rules.add("deal_type", "invalid_choice", f"未知交易方式 / unknown deal type {deal_type!r}")
    elif deal.listing is not None:
        listing_type = deal.listing.deal_type
        wanted = DealKind.ASSIGNMENT if listing_type == DealType.ASSIGNMENT else DealKind.LICENCE
        rules.check(deal_type == wanted, "deal_type", "deal_type_mismatch",
                    f"该挂牌的交易方式为“{deal.listing.get_deal_type_display()}” / the listing offers {listing_type}")
    is_licence = deal_type == DealKind.LICENCE
    if is_licence:
        rules.check(licence_kind in LicenceKind.values, "licence_kind", "licence_kind_required",
                    "许可须选择独占、排他或普通许可 / a licence must be exclusive, sole or non-exclusive")
    else:
        rules.check(not licence_kind, "licence_kind", "licence_kind_not_applicable", "转让不适用许可类型 / an assignment has no licence kind")
        rules.check(royalty in (None, ""), "royalty_bps", "royalty_not_applicable", "转让不适用提成费 / an assignment has no royalty")
        rules.check(not (terms.get("territory") or terms.get("field_of_use") or term_start or term_end), "territory",
                    "licence_scope_not_applicable", "转让不适用许可地域、领域和期限 / an assignment has no territory, field or term")
    if not _is_amount(price_amount):
        rules.add("price_amount", "amount_out_of_range", "价格须为 0 至 2^53−1 的整数（分）/ the price is integer fen, 0 to 2^53−1")
    if royalty not in (None, ""):
        if isinstance(royalty, bool) or not isinstance(royalty, int) or not 0 < royalty <= 10000:
            rules.add("royalty_bps", "royalty_rate_out_of_range", "提成费率须为 1–10000 基点 / royalty must be 1–10000 bps")
    if terms.get("term_start") and term_start is None:
        rules.add("term_start", "date_invalid", "日期格式错误 / malformed date")
    if terms.get("term_end") and term_end is None:
        rules.add("term_end", "date_invalid", "日期格式错误 / malformed date")
    if term_start and term_end and term_end < term_start:
        rules.add("term_end", "term_end_before_start", "许可期限止日早于起日 / the term ends before it starts")
    if not isinstance(expires_at, dt.datetime):
        rules.add("expires_at", "required", "请填写报价有效期 / an offer needs an expiry")
    elif expires_at <= now:
        rules.add("expires_at", "expires_in_past", "报价有效期须晚于现在 / the offer must expire in the future")
    milestones = clean_milestones(rules, terms.get("milestones") or [], price_amount)
    currency = terms.get("currency") or "CNY"
    rules.check(currency == "CNY", "currency", "currency_not_cny", "以人民币计价 / prices are in CNY")
    return {
        "deal_type": deal_type, "licence_kind": licence_kind if is_licence else "", "price_amount": price_amount,
        "currency": currency, "territory": (terms.get("territory") or "").strip()[:200] if is_licence else "",
        "field_of_use": (terms.get("field_of_use") or "").strip()[:200] if is_licence else "",
        "term_start": term_start if is_licence else None, "term_end": term_end if is_licence else None,
        "royalty_bps": royalty if (is_licence and royalty not in (None, "")) else None, "milestones": milestones,
        "expires_at": expires_at,
    }


def _lock(deal: Deal) -> Deal:
    return Deal.objects.select_for_update(of=("self",)).select_related("listing").get(pk=deal.pk)


def _expire_if_due(offer: DealOffer, now: dt.datetime) -> bool:
    if offer.status == OfferStatus.OPEN and offer.expires_at <= now:
        offer.status = OfferStatus.EXPIRED
        offer.decided_at = now
        offer.save(update_fields=["status", "decided_at"])
        return True
    return False


def _event(deal: Deal, offer: DealOffer, event: str, by: User | None, **extra):
    from listings.deals.selectors import offer_payload

    return room_record(deal=deal, kind=MessageKind.OFFER, author=by, body=offer.message if event == "offer_made" else "",
                       payload={"event": event, "offer": offer_payload(offer), **extra})


@transaction.atomic
def offer_make(*, deal: Deal, by: User, terms: dict, answers: DealOffer | None = None, message: str = "") -> DealOffer:
    """A new version of the terms (a counter-offer when ``answers`` is the other side's open offer).
    Any earlier open offer in the deal is superseded."""
    locked = _lock(deal)
    side = access.acting_side(by, locked)
    if side is None:
        raise NotPermitted("只有交易双方及其经纪人可以报价 / only the parties and their brokers make offers")
    if not locked.is_negotiating:
        raise IllegalTransition("deal", "offer", locked.status)
    now = timezone.now()
    rules = Rules()
    if answers is not None:
        answers = DealOffer.objects.select_for_update().get(pk=answers.pk)
        _expire_if_due(answers, now)
        rules.check(answers.deal_id == locked.pk, "answers", "offer_not_in_deal", "该报价不属于本交易 / not this deal's offer")
        rules.check(answers.status == OfferStatus.OPEN, "answers", "offer_not_open",
                    f"所还价的报价已{answers.get_status_display()} / the offer answered is {answers.status}")
        rules.check(answers.side != side, "answers", "counter_own_offer", "不能对自己的报价还价 / you cannot counter your own offer")
    values = check_offer_terms(rules, locked, terms, now=now)
    rules.raise_if_any()
    for open_offer in locked.offers.select_for_update().filter(status=OfferStatus.OPEN):
        open_offer.status = OfferStatus.SUPERSEDED
        open_offer.decided_at = now
        open_offer.save(update_fields=["status", "decided_at"])
    version = (locked.offers.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    offer = DealOffer.objects.create(deal=locked, version=version, side=side, made_by=by, answers=answers,
                                     message=(message or "").strip()[:4000], **values)
    _event(locked, offer, "offer_made", by)
    return offer


def _decide(offer: DealOffer, by: User, *, own: bool) -> tuple[Deal, DealOffer, str]:
    locked = _lock(offer.deal)
    offer = DealOffer.objects.select_for_update().get(pk=offer.pk)
    side = access.acting_side(by, locked)
    if side is None:
        raise NotPermitted("只有交易双方及其经纪人可以答复报价 / only the parties and their brokers answer offers")
    if own and side != offer.side:
        raise NotPermitted("只能撤回本方的报价 / you may only withdraw your own side's offer")
    if not own and side == offer.side:
        raise NotPermitted("不能答复本方的报价 / you cannot answer your own side's offer")
    return locked, offer, side


def _require_open(offer: DealOffer, now: dt.datetime) -> None:
    """Callers have already marked an offer past its expiry as expired."""
    if offer.status == OfferStatus.SUPERSEDED:
        raise RuleBroken([("offer", "offer_superseded", f"报价 v{offer.version} 已被新的报价取代 / offer v{offer.version} was superseded")])
    if offer.status != OfferStatus.OPEN:
        raise RuleBroken([("offer", "offer_not_open", f"报价 v{offer.version} 已{offer.get_status_display()} / offer is {offer.status}")])


def offer_accept(*, offer: DealOffer, by: User) -> DealOffer:
    """The other side accepts: the terms are agreed (the listing's rules are checked again first).

    An expired offer is marked expired (committed) and refused; nothing else is written."""
    try:
        return _offer_accept(offer=offer, by=by)
    except _Expired as exc:
        _mark_expired(exc.offer_id)
        raise RuleBroken([("offer", "offer_expired", f"报价 v{exc.version} 已过期 / offer v{exc.version} has expired")]) from None


class _Expired(Exception):
    def __init__(self, offer_id: int, version: int):
        self.offer_id, self.version = offer_id, version


@transaction.atomic
def _mark_expired(offer_id: int) -> None:
    offer = DealOffer.objects.select_for_update().get(pk=offer_id)
    if _expire_if_due(offer, timezone.now()):
        _event(offer.deal, offer, "offer_expired", None)


@transaction.atomic
def _offer_accept(*, offer: DealOffer, by: User) -> DealOffer:
    listing = lock_listing_of(Deal.objects.only("pk", "listing_id").get(pk=offer.deal_id))
    locked, offer, _side = _decide(offer, by, own=False)
    now = timezone.now()
    if offer.status == OfferStatus.OPEN and offer.expires_at <= now:
        raise _Expired(offer.pk, offer.version)
    _require_open(offer, now)
    if not locked.is_negotiating:
        raise IllegalTransition("deal", "offer_accept", locked.status)
    rules = Rules()
    has_broker = locked.brokers.filter(status=BrokerStatus.ACCEPTED).exists()
    rules.check(
        not has_broker or locked.commission_set_at is not None, "commission", "commission_not_set",
        "有经纪人参与的交易须先设定佣金并向双方展示 / set the broker commission before accepting an offer",
    )
    if listing is not None:
        rules.check(listing.status != ListingStatus.SUSPENDED, "listing", "listing_suspended",
                    "挂牌已暂停交易，不能接受报价 / the listing is suspended")
        rules.check(listing.status == ListingStatus.UNDER_NEGOTIATION or listing.status == ListingStatus.SUSPENDED,
                    "listing", "listing_not_available",
                    f"挂牌当前状态为“{listing.get_status_display()}” / the listing is {listing.status}")
        if _offer_excludes(offer):
            other = _excluding_agreed_elsewhere(locked)
            rules.check(other is None, "deal_type", "listing_reserved",
                        f"同一挂牌的交易 #{other.pk if other else ''} 已商定排他性条款 / another deal holds exclusive terms")
    patents = list(locked.patents.all())
    terms = Terms(
        title="-", deal_type=DealType.ASSIGNMENT if offer.deal_type == DealKind.ASSIGNMENT else DealType.LICENCE,
        licence_kind=offer.licence_kind, territory=offer.territory, field_of_use=offer.field_of_use,
        term_start=offer.term_start, term_end=offer.term_end,
    )
    check_patents(rules, terms, patents, exclude_listing=locked.listing_id, today=timezone.localdate())
    _check_agreed_conflicts(rules, locked, offer)
    rules.raise_if_any()
    offer.status = OfferStatus.ACCEPTED
    offer.decided_by = by
    offer.decided_at = now
    offer.save(update_fields=["status", "decided_by", "decided_at"])
    _event(locked, offer, "offer_accepted", by)
    deal_agree(deal=locked, offer=offer, by=by)
    return offer


def _check_agreed_conflicts(rules: Rules, deal: Deal, offer: DealOffer) -> None:
    """An exclusive/sole licence conflicts with licences agreed in other deals on the same patents."""
    if offer.deal_type != DealKind.LICENCE:
        return
    from listings.trading.services.rules import scopes_overlap

    ids = list(deal.patents.values_list("pk", flat=True))
    others = (
        DealOffer.objects.filter(deal__patents__in=ids, deal__status__in=AGREED_STATUSES, deal__agreed_offer=F("pk"))
        .exclude(deal=deal)
        .filter(deal_type=DealKind.LICENCE)
        .distinct()
    )
    for other in others:
        if (_offer_excludes(offer) or _offer_excludes(other)) and scopes_overlap(offer, other):
            rules.add("licence_kind", "licence_conflict",
                      f"与交易 #{other.deal_id} 已商定的{other.get_licence_kind_display()}冲突 / conflicts with deal #{other.deal_id}")


@transaction.atomic
def offer_reject(*, offer: DealOffer, by: User, reason: str = "") -> DealOffer:
    locked, offer, _side = _decide(offer, by, own=False)
    now = timezone.now()
    if _expire_if_due(offer, now):
        _event(locked, offer, "offer_expired", None)
        return offer
    _require_open(offer, now)
    offer.status, offer.decided_by, offer.decided_at = OfferStatus.REJECTED, by, now
    offer.save(update_fields=["status", "decided_by", "decided_at"])
    _event(locked, offer, "offer_rejected", by, reason=(reason or "")[:2000])
    return offer


@transaction.atomic
def offer_withdraw(*, offer: DealOffer, by: User) -> DealOffer:
    locked, offer, _side = _decide(offer, by, own=True)
    now = timezone.now()
    if _expire_if_due(offer, now):
        _event(locked, offer, "offer_expired", None)
        return offer
    _require_open(offer, now)
    offer.status, offer.decided_by, offer.decided_at = OfferStatus.WITHDRAWN, by, now
    offer.save(update_fields=["status", "decided_by", "decided_at"])
    _event(locked, offer, "offer_withdrawn", by)
    return offer


def offers_expire_due(*, now: dt.datetime | None = None) -> int:
    """Mark every open offer past its expiry as expired (one transaction each); returns how many."""
    now = now or timezone.now()
    count = 0
    for pk in list(DealOffer.objects.filter(status=OfferStatus.OPEN, expires_at__lte=now).values_list("pk", flat=True)):
        _mark_expired(pk)
        count += 1
    return count
