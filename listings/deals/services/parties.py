"""People in the room: chat, brokers (invited, requested, assigned, accepted), commission, documents and the NDA."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from listings.deals import access
from listings.deals.models import (
    MAX_AMOUNT,
    ROOM_OPEN_STATUSES,
    BrokerStatus,
    CommissionPayer,
    Deal,
    DealBroker,
    DealDocument,
    DealMessage,
    DealStatus,
    MessageKind,
    NdaAcceptance,
    Side,
)
from listings.deals.services.room import MAX_CHAT, broadcast, message_payload, room_append, room_event, room_record
from marketplace import permissions
from marketplace.kernel.errors import DomainError, NotPermitted, validation_errors
from marketplace.kernel.statemachine import IllegalTransition, RuleBroken
from marketplace.kernel.uploads import check_upload
from marketplace.models import Membership, Organisation
from marketplace.notifications import notify, text
from marketplace.services import operators, organisation_members
from marketplace.verbs import Verb

NOT_A_PARTY = "您不是本交易的参与方 / you are not a party to this deal"


def _require_actor(by: User | None, deal: Deal) -> None:
    """Posting in the room: a member in the role of a side, an accepted broker, or an operator; a member who may only
    read (e.g. the lender member of a party) is told so."""
    if not access.can_act_in_deal(by, deal):
        raise access.read_only_refusal() if access.can_view_deal(by, deal) else NotPermitted(NOT_A_PARTY, field="user")


@dataclass(frozen=True)
class ChatPost:
    """One chat message to store: who, in which deal, what, and the client's id for retries."""

    deal: Deal
    by: User
    body: str
    client_id: str = ""


def _chat_text(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise RuleBroken([("body", "required", "消息不能为空 / the message is empty")])
    if len(text) > MAX_CHAT:
        raise RuleBroken([("body", "too_long", f"消息最长 {MAX_CHAT} 字 / at most {MAX_CHAT} characters")])
    return text


def _chat_locked(locked: Deal, post: ChatPost, text: str, live: bool) -> DealMessage:
    _require_actor(post.by, locked)
    if locked.status not in ROOM_OPEN_STATUSES:
        raise IllegalTransition("deal", "chat", locked.status)
    return room_append(locked=locked, kind=MessageKind.CHAT, author=post.by, body=text,
                       client_id=(post.client_id or "")[:64], live=live)


def _broadcast_all(events: list[tuple[int, dict]]) -> None:
    for deal_id, event in events:
        broadcast(deal_id, event)


def _lock_deals(pks: set[int]) -> dict[int, Deal]:
    rows = Deal.objects.select_for_update().only("pk", "next_seq", "status", "seller_id", "buyer_id")
    return {deal.pk: deal for deal in rows.filter(pk__in=sorted(pks)).order_by("pk")}


def chat_post(*, deal: Deal, by: User, body: str, client_id: str = "", live: bool = True) -> DealMessage:
    """A chat message (parties, their accepted brokers, operators), stored with the next sequence number.

    One transaction: the deal's row lock, the access check against the locked row (one query), the status, the
    insert. ``live=False``: the caller broadcasts after commit (see ``room_record``)."""
    post = ChatPost(deal=deal, by=by, body=body, client_id=client_id)
    text = _chat_text(body)
    with transaction.atomic():
        return _chat_locked(_lock_deals({deal.pk})[deal.pk], post, text, live)


def chat_post_many(*, posts: list[ChatPost], live: bool = True) -> list[DealMessage | DomainError]:
    """Several chat messages in one transaction, each checked as ``chat_post`` checks it and refused on its own
    (its ``DomainError`` in its place; a refusal writes nothing): the room socket's group commit, one disk flush
    for the frames that arrived together, in a fixed number of statements (the deals locked in ``pk`` order, as
    every other path locks them; access for every pair; earlier copies of retried ``client_id``s; one sequence
    update per deal; one insert)."""
    results: list[DealMessage | DomainError | None] = [None] * len(posts)
    texts: dict[int, str] = {}
    for i, post in enumerate(posts):
        try:
            texts[i] = _chat_text(post.body)
        except DomainError as exc:
            results[i] = exc
    with transaction.atomic():
        locked = _lock_deals({posts[i].deal.pk for i in texts})
        pairs = {(posts[i].by, locked[posts[i].deal.pk]) for i in texts if posts[i].deal.pk in locked}
        readers, allowed = access.rights_among(pairs)
        ids = {(posts[i].deal.pk, posts[i].by.pk, posts[i].client_id[:64]) for i in texts if posts[i].client_id}
        earlier = {
            (m.deal_id, m.author_id, m.client_id): m
            for m in DealMessage.objects.filter(deal_id__in={d for d, _, _ in ids}, client_id__in={c for _, _, c in ids})
            .select_related("author") if (m.deal_id, m.author_id, m.client_id) in ids
        } if ids else {}
        new: list[tuple[int, DealMessage]] = []
        for i, text in texts.items():
            post, deal = posts[i], locked.get(posts[i].deal.pk)
            key = (post.deal.pk, post.by.pk, post.client_id[:64])
            if deal is None or (post.by.pk, deal.pk) not in allowed:
                results[i] = (access.read_only_refusal() if deal is not None and (post.by.pk, deal.pk) in readers
                              else NotPermitted(NOT_A_PARTY, field="user"))
            elif deal.status not in ROOM_OPEN_STATUSES:
                results[i] = IllegalTransition("deal", "chat", deal.status)
            elif post.client_id and key in earlier:
                results[i] = earlier[key]
            else:
                message = DealMessage(deal_id=deal.pk, seq=deal.next_seq, kind=MessageKind.CHAT, author=post.by,
                                      body=text, payload={}, client_id=post.client_id[:64])
                deal.next_seq += 1
                if post.client_id:
                    earlier[key] = message  # the same id twice in one batch is stored once
                new.append((i, message))
        for deal in {locked[m.deal_id] for _, m in new}:
            Deal.objects.filter(pk=deal.pk).update(next_seq=deal.next_seq)
        DealMessage.objects.bulk_create([m for _, m in new])
        for i, message in new:
            results[i] = message
        if live:
            events = [(m.deal_id, message_payload(m)) for _, m in new]
            transaction.on_commit(lambda: _broadcast_all(events))
    assert all(r is not None for r in results)  # every post has its message or its refusal
    return cast(list[DealMessage | DomainError], results)


# --------------------------------------------------------------------------------------------
# Brokers
# --------------------------------------------------------------------------------------------
def _is_broker_org(organisation: Organisation) -> bool:
    return organisation.memberships.filter(role=Membership.Role.BROKER).exists()


def _own_side(by: User, deal: Deal, side: str) -> None:
    if side not in Side.values:
        raise RuleBroken([("side", "invalid_choice", f"未知的一方 / unknown side {side!r}")])
    if access.party_side(by, deal) != side:
        raise NotPermitted("只能为本方邀请或申请经纪人 / you may only invite a broker for your own side")


def _check_broker_org(deal: Deal, organisation: Organisation, side: str) -> None:
    problems = []
    if organisation.pk in (deal.seller_id, deal.buyer_id):
        problems.append(("organisation", "broker_is_party", "经纪机构不能是交易一方 / a broker cannot be a party"))
    if not organisation.is_verified:
        problems.append(("organisation", "organisation_not_verified", f"机构“{organisation}”尚未通过认证 / not verified"))
    if not _is_broker_org(organisation):
        problems.append(("organisation", "not_a_broker", f"“{organisation}”没有技术经纪人 / {organisation} has no broker members"))
    if deal.brokers.filter(side=side, status__in=(BrokerStatus.INVITED, BrokerStatus.ACCEPTED)).exists():
        problems.append(("side", "broker_exists", "本方已有经纪人或待答复的邀请 / this side already has a broker"))
    if problems:
        raise RuleBroken(problems)


@transaction.atomic
def broker_invite(*, deal: Deal, by: User, side: str, organisation: Organisation) -> DealBroker:
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    _own_side(by, deal, side)
    _check_broker_org(deal, organisation, side)
    row = DealBroker.objects.create(deal=deal, side=side, organisation=organisation, status=BrokerStatus.INVITED, invited_by=by)
    room_event(deal, "broker_invited", by=by, side=side, organisation=organisation.name, broker=row.pk)
    notify(users=organisation_members(organisation), verb=Verb.DEAL_BROKER_INVITED,
           title=text(_("您被邀请担任交易 #{pk} 的技术经纪人"), pk=deal.pk), url=f"/deals/{deal.pk}/")
    return row


@transaction.atomic
def broker_request(*, deal: Deal, by: User, side: str, note: str = "") -> DealBroker:
    """Ask the operator to assign a broker for this side."""
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    _own_side(by, deal, side)
    if deal.brokers.filter(side=side, status__in=(BrokerStatus.REQUESTED, BrokerStatus.INVITED, BrokerStatus.ACCEPTED)).exists():
        raise RuleBroken([("side", "broker_exists", "本方已有经纪人或待处理的申请 / this side already has a broker or request")])
    row = DealBroker.objects.create(deal=deal, side=side, status=BrokerStatus.REQUESTED, invited_by=by, note=(note or "").strip())
    room_event(deal, "broker_requested", by=by, side=side, broker=row.pk)
    notify(users=operators(), verb=Verb.DEAL_BROKER_REQUESTED, title=text(_("交易 #{pk} 申请指派技术经纪人"), pk=deal.pk), url="/deals/operator/")
    return row


@transaction.atomic
def broker_assign(*, broker: DealBroker, by: User, organisation: Organisation) -> DealBroker:
    """An operator answers a request by naming a broker organisation, which then accepts or declines."""
    if not permissions.is_operator(by):
        raise NotPermitted("仅运营人员可以指派经纪人 / only operators assign brokers")
    row = DealBroker.objects.select_for_update(of=("self",)).select_related("deal").get(pk=broker.pk)
    if row.status != BrokerStatus.REQUESTED:
        raise IllegalTransition("broker", "assign", row.status)
    row.status = BrokerStatus.DECLINED  # frees the side for the check below, restored at once
    row.save(update_fields=["status"])
    _check_broker_org(row.deal, organisation, row.side)
    row.organisation, row.status, row.decided_by = organisation, BrokerStatus.INVITED, by
    row.save(update_fields=["organisation", "status", "decided_by"])
    room_event(row.deal, "broker_assigned", by=by, side=row.side, organisation=organisation.name, broker=row.pk)
    notify(users=organisation_members(organisation), verb=Verb.DEAL_BROKER_INVITED,
           title=text(_("运营人员指派您担任交易 #{pk} 的技术经纪人"), pk=row.deal_id), url=f"/deals/{row.deal_id}/")
    return row


@transaction.atomic
def broker_answer(*, broker: DealBroker, by: User, accept: bool) -> DealBroker:
    row = DealBroker.objects.select_for_update(of=("self",)).select_related("deal", "organisation").get(pk=broker.pk)
    if row.organisation is None or not permissions.has_role(by, row.organisation, [Membership.Role.BROKER]):
        raise NotPermitted("只有受邀经纪机构的经纪人可以答复 / only the invited broker organisation's brokers answer")
    if row.status != BrokerStatus.INVITED:
        raise IllegalTransition("broker", "accept" if accept else "decline", row.status)
    row.status = BrokerStatus.ACCEPTED if accept else BrokerStatus.DECLINED
    row.decided_by, row.decided_at = by, timezone.now()
    row.save(update_fields=["status", "decided_by", "decided_at"])
    room_event(row.deal, "broker_accepted" if accept else "broker_declined", by=by, side=row.side,
               organisation=row.organisation.name, broker=row.pk)
    return row


@transaction.atomic
def commission_set(*, deal: Deal, by: User, payer: str, bps: int | None = None, fixed_amount: int | None = None) -> Deal:
    """The broker commission (basis points of the price, or a fixed amount in fen) and who pays it; shown to
    both sides in the room before any offer can be accepted."""
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if not (access.acting_side(by, deal) or permissions.is_operator(by)):
        raise access.read_only_refusal() if access.can_view_deal(by, deal) else NotPermitted(NOT_A_PARTY, field="user")
    if deal.status not in (DealStatus.ENQUIRY, DealStatus.NEGOTIATING, DealStatus.PAUSED):
        raise IllegalTransition("deal", "commission_set", deal.status)
    problems = []
    if payer not in CommissionPayer.values:
        problems.append(("payer", "invalid_choice", f"未知支付方 / unknown payer {payer!r}"))
    if (bps is None) == (fixed_amount is None):
        problems.append(("commission", "commission_one_basis", "请填写费率或固定金额之一 / give either a rate or a fixed amount"))
    if bps is not None and (isinstance(bps, bool) or not isinstance(bps, int) or not 0 <= bps <= 10000):
        problems.append(("bps", "royalty_rate_out_of_range", "佣金费率须为 0–10000 基点 / 0–10000 basis points"))
    if fixed_amount is not None and (isinstance(fixed_amount, bool) or not isinstance(fixed_amount, int)
                                     or not 0 <= fixed_amount <= MAX_AMOUNT):
        problems.append(("fixed_amount", "amount_out_of_range", "金额须为 0 至 2^53−1 的整数（分）/ integer fen in range"))
    if problems:
        raise RuleBroken(problems)
    deal.commission_bps, deal.commission_fixed_amount = bps, fixed_amount
    deal.commission_payer, deal.commission_set_at = payer, timezone.now()
    deal.save(update_fields=["commission_bps", "commission_fixed_amount", "commission_payer", "commission_set_at", "updated_at"])
    room_event(deal, "commission", by=by, bps=bps, fixed_amount=fixed_amount, payer=payer)
    return deal


# --------------------------------------------------------------------------------------------
# Documents and the NDA
# --------------------------------------------------------------------------------------------
@transaction.atomic
def document_upload(*, deal: Deal, by: User, upload, confidential: bool = False) -> DealDocument:
    """A file in the room, checked by magic bytes (``check_upload``); only the seller marks one confidential."""
    side = access.acting_side(by, deal)
    if side is None:
        raise access.read_only_refusal() if access.can_view_deal(by, deal) else NotPermitted(NOT_A_PARTY, field="user")
    if confidential and side != Side.SELLER:
        raise RuleBroken([("confidential", "seller_only", "只有卖方可以上传保密资料 / only the seller marks documents confidential")])
    try:
        checked = check_upload(upload, kind="document")
    except ValidationError as exc:
        raise RuleBroken(validation_errors(exc)) from None
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    document = DealDocument(deal=deal, original_name=checked.original_name, content_type=checked.mime, size=checked.size,
                            sha256=digest.hexdigest(), confidential=bool(confidential), side=side, uploaded_by=by)
    document.file.save(f"upload.{checked.extension}", upload, save=False)
    document.save()
    room_record(deal=deal, kind=MessageKind.ATTACHMENT, author=by, body=checked.original_name,
                payload={"event": "document", "document": document.pk, "name": checked.original_name,
                         "confidential": document.confidential, "size": checked.size})
    return document


@transaction.atomic
def nda_accept(*, deal: Deal, by: User, text_sha256: str) -> NdaAcceptance:
    """The buyer's member accepts the NDA text they were shown (its sha256 must match the current text)."""
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    side = access.acting_side(by, deal)
    if side != Side.BUYER:
        raise NotPermitted("保密条款由买方接受 / the buyer's side accepts the NDA")
    if text_sha256 != deal.nda_sha256:
        raise RuleBroken([("text_sha256", "nda_changed", "保密条款文本已变化，请重新阅读 / the NDA text changed: read it again")])
    if access.party_side(by, deal):
        organisation = deal.buyer
    else:
        broker = deal.brokers.select_related("organisation").get(status=BrokerStatus.ACCEPTED, side=side)
        assert broker.organisation is not None  # an accepted broker always names its organisation
        organisation = broker.organisation
    row, created = NdaAcceptance.objects.get_or_create(deal=deal, user=by, text_sha256=text_sha256,
                                                       defaults={"organisation": organisation})
    if created:
        room_event(deal, "nda_accepted", by=by, sha256=text_sha256)
    return row
