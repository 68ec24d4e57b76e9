"""Escrow per deal: the declared machine and one locked service per step; each money step posts its ledger
transaction in the same database transaction as the status change (``apply_transition`` locks the escrow row).

awaiting_funding → funded (milestone by milestone) → release_requested → released | refunded | disputed → resolved;
``cancelled`` when the funding deadline passes. The deal follows through the deals services
(``deal_await_funding``, ``deal_funded``, ``deal_settle``, ``deal_settlement_cancel``).

Ledger shapes (``escrow:<id>`` is the escrow's held account; ``org:<id>`` a party's):
funding   Dr <rail> clearing, Cr buyer funding; Dr buyer funding, Cr escrow held
release   Dr escrow held; Cr seller payable (net), fee revenue (fee), commission payable (each broker)
refund    Dr escrow held; Cr refunds payable (buyer)      payout/refund sent: Dr payable, Cr <rail> clearing
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from escrow.gateways.bank import BankTransferRail, StatementResult
from escrow.gateways.interface import Confirmation, FundingInstructions, FundingRequest, PayoutRequest, RefundRequest, get_rail
from escrow.gateways.models import InstructionKind, InstructionStatus, Rail, RailInstruction
from escrow.gateways.stripe_rail import StripeRail, WebhookResult
from escrow.ledger.models import AccountType
from escrow.ledger.services import EXCHANGE, Line, account_for, transaction_post
from escrow.settlement.fees import breakdown, split_evenly
from escrow.settlement.models import (
    Escrow,
    EscrowMilestone,
    EscrowStatus,
    EscrowTransition,
    EvidenceKind,
    MilestoneStatus,
    PayeeAccount,
    Payout,
)
from listings.catalogue.services.patentees import patent_assignment_record
from listings.deals import access
from listings.deals.models import Deal, DealKind, Side
from listings.deals.services import lifecycle as deal_lifecycle
from marketplace import permissions
from marketplace.kernel.errors import NotPermitted, validation_errors
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import RuleBroken, Rules, StateMachine, Transition
from marketplace.kernel.transitions import apply_transition
from marketplace.kernel.uploads import check_upload
from marketplace.models import Organisation
from marketplace.notifications import Text, notify, text
from marketplace.services import operators, organisation_members
from marketplace.verbs import Verb

E = EscrowStatus
M = MilestoneStatus


class EscrowActor:
    SELLER = "seller"
    BUYER = "buyer"
    PARTY = "party"
    OPERATOR = "operator"
    SYSTEM = "system"  # the settlement services (by=None: timers, rail confirmations) or an operator


ESCROW_MACHINE = StateMachine("escrow", [
    Transition("fund_part", frozenset({E.AWAITING_FUNDING}), E.AWAITING_FUNDING, EscrowActor.SYSTEM),
    Transition("fund", frozenset({E.AWAITING_FUNDING}), E.FUNDED, EscrowActor.SYSTEM),
    Transition("deliver", frozenset({E.FUNDED}), E.FUNDED, EscrowActor.SELLER),
    Transition("accept", frozenset({E.FUNDED}), E.FUNDED, EscrowActor.BUYER),
    Transition("request_release", frozenset({E.FUNDED}), E.RELEASE_REQUESTED, EscrowActor.SELLER),
    Transition("reject_evidence", frozenset({E.RELEASE_REQUESTED}), E.FUNDED, EscrowActor.OPERATOR, needs_reason=True),
    Transition("release", frozenset({E.RELEASE_REQUESTED}), E.RELEASED, EscrowActor.OPERATOR),
    Transition("refund", frozenset({E.AWAITING_FUNDING, E.FUNDED, E.RELEASE_REQUESTED}), E.REFUNDED, EscrowActor.OPERATOR,
               needs_reason=True),
    Transition("expire", frozenset({E.AWAITING_FUNDING}), E.CANCELLED, EscrowActor.SYSTEM, needs_reason=True),
    Transition("dispute", frozenset({E.FUNDED, E.RELEASE_REQUESTED}), E.DISPUTED, EscrowActor.PARTY, needs_reason=True),
    Transition("resolve", frozenset({E.DISPUTED}), E.RESOLVED, EscrowActor.OPERATOR, needs_reason=True),
])

HELD = (M.FUNDED, M.DELIVERED)
CLEARING = {Rail.BANK: AccountType.BANK_CLEARING, Rail.STRIPE: AccountType.STRIPE_CLEARING}


def _allowed(by: User | None):
    def check(transition: Transition, escrow: Escrow) -> bool:
        operator = permissions.is_operator(by)
        if transition.actor in (EscrowActor.SYSTEM,):
            return by is None or operator
        if transition.actor == EscrowActor.OPERATOR:
            return operator
        side = access.acting_side(by, escrow.deal)
        if transition.actor == EscrowActor.SELLER:
            return side == Side.SELLER or operator
        if transition.actor == EscrowActor.BUYER:
            return side == Side.BUYER
        return side is not None or operator

    return check


def _people(escrow: Escrow) -> list[User]:
    return organisation_members(escrow.deal.seller) + organisation_members(escrow.deal.buyer)


def _tell(escrow: Escrow, action: str, title: Text, *, also_operators: bool = False) -> None:
    """Tell both sides (and operators) that ``action`` happened; each escrow action has its ``Verb``."""
    users = _people(escrow) + (operators() if also_operators else [])
    notify(users=users, verb=Verb(f"escrow.{action}"), title=title, url=escrow.deal.get_absolute_url())


def _step(escrow: Escrow, action: str, *, by: User | None, reason: str = "", effect=None, after=None,
          allowed=None) -> Escrow:
    def announce(locked: Escrow) -> None:
        _tell(locked, action, text(_("交易 #{pk} 资金托管：{status}"), pk=locked.deal_id,
                                          status=EscrowStatus(locked.status).label))
        if after:
            after(locked)

    return apply_transition(escrow, machine=ESCROW_MACHINE, action=action, by=by, reason=reason,
                            allowed=allowed or _allowed(by),
                            history=EscrowTransition, effect=effect, announce=announce, related=("deal",))


# --------------------------------------------------------------------------------------------
# Ledger helpers
# --------------------------------------------------------------------------------------------
def _org_account(type: str, org_id: int, currency: str):
    return account_for(type, f"org:{org_id}", currency)


def _held(escrow: Escrow):
    return account_for(AccountType.ESCROW_HELD, escrow.key, escrow.currency, name=f"交易 #{escrow.deal_id}")


def _clearing(rail: str, currency: str):
    return account_for(CLEARING[Rail(rail)], EXCHANGE, currency)


def _lines(*pairs) -> list[Line]:
    return [Line(account, amount) for account, amount in pairs if amount]


def _payee(org: Organisation, rail: str) -> str:
    account = PayeeAccount.objects.filter(organisation=org).first()
    if rail == Rail.STRIPE:
        return account.stripe_account if account else ""
    return account.bank_account_number if account else ""


def _payout(escrow: Escrow, milestone: EscrowMilestone, org: Organisation, account_type: str, amount: int,
            description: str) -> Payout | None:
    """Issue a payout (or, for ``refunds_payable``, a refund of the milestone's funding) on the milestone's rail."""
    if amount <= 0:
        return None
    rail = get_rail(milestone.funding_rail)
    money = escrow.money(amount)
    if account_type == AccountType.REFUNDS_PAYABLE:
        issued = rail.refund_issue(RefundRequest(escrow.group, milestone.funding_reference, money, description))
    else:
        payee = _payee(org, milestone.funding_rail)
        if milestone.funding_rail == Rail.STRIPE and not payee.startswith("acct_"):
            raise RuleBroken([("payee_account", "payee_account_missing",
                               f"{org} 未绑定 Stripe 收款账户 / {org} has no Stripe connected account")])
        issued = rail.payout_issue(PayoutRequest(escrow.group, money, org.name, payee, description))
    payout = Payout.objects.create(escrow=escrow, milestone=milestone, organisation=org, account_type=account_type,
                                   rail=milestone.funding_rail, reference=issued.reference, amount=amount,
                                   currency=escrow.currency)
    reference = issued.reference
    transaction.on_commit(lambda: payout_send(reference=reference))
    return payout


def _split_out(escrow: Escrow, m: EscrowMilestone, *, seller_gross: int, refund: int, kind: str, by: User | None) -> None:
    """Move ``seller_gross + refund`` of the milestone out of escrow: the seller's part less its share of the fee and
    commission, the brokers' commission, the buyer's refund — one balanced transaction, then the payouts."""
    funding = m.funding_amount
    assert 0 <= seller_gross and 0 <= refund and seller_gross + refund == funding
    fee = m.fee_amount * seller_gross // funding if funding else 0
    commission = m.commission_amount * seller_gross // funding if funding else 0
    if seller_gross == funding:
        fee, commission = m.fee_amount, m.commission_amount
    net = seller_gross - fee - commission
    brokers = list(escrow.brokers.order_by("pk"))
    shares = split_evenly(commission, len(brokers)) if brokers else []
    if commission and not brokers:
        net += commission
        commission = 0
    cur = escrow.currency
    deal = escrow.deal
    lines = _lines(
        (_held(escrow), funding),
        (_org_account(AccountType.SELLER_PAYABLE, deal.seller_id, cur), -net),
        (account_for(AccountType.FEE_REVENUE, EXCHANGE, cur), -fee),
        (_org_account(AccountType.REFUNDS_PAYABLE, deal.buyer_id, cur), -refund),
        *[(_org_account(AccountType.COMMISSION_PAYABLE, b.pk, cur), -share) for b, share in zip(brokers, shares)],
    )
    if lines:
        transaction_post(kind=kind, lines=lines, currency=cur, subject=escrow.key, by=by,
                         reference=f"{kind}:{escrow.pk}:{m.position}",
                         memo=f"交易 #{deal.pk} {m.label} / deal #{deal.pk} milestone {m.position}")
    label = f"交易 #{deal.pk} {m.label}"
    _payout(escrow, m, deal.seller, AccountType.SELLER_PAYABLE, net, label)
    for broker, share in zip(brokers, shares):
        _payout(escrow, m, broker, AccountType.COMMISSION_PAYABLE, share, f"{label} 佣金")
    _payout(escrow, m, deal.buyer, AccountType.REFUNDS_PAYABLE, refund, f"{label} 退款")
    m.status = M.RELEASED if refund == 0 else (M.REFUNDED if seller_gross == 0 else M.SETTLED)
    m.settled_at = timezone.now()
    m.save(update_fields=["status", "settled_at"])


# --------------------------------------------------------------------------------------------
# Opening, funding
# --------------------------------------------------------------------------------------------
@transaction.atomic
def escrow_open(*, deal: Deal) -> Escrow:
    """The contract is confirmed: fix the split shown to both sides, create the milestones, ask the buyer to fund."""
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    existing = Escrow.objects.filter(deal=locked).first()
    if existing is not None:
        return existing
    split = breakdown(locked)
    offer = locked.agreed_offer
    assert offer is not None
    escrow = Escrow.objects.create(
        deal=locked, currency=split.price.currency, price_amount=split.price.amount, fee_amount=split.fee.amount,
        fee_bps=split.fee_bps, buyer_commission_amount=split.buyer_commission.amount,
        seller_commission_amount=split.seller_commission.amount,
        funding_deadline=timezone.now() + dt.timedelta(days=settings.ESCROW_FUNDING_DAYS),
        inspection_days=settings.ESCROW_INSPECTION_DAYS,
        evidence_kind=EvidenceKind.RECORDAL if offer.deal_type == DealKind.ASSIGNMENT else EvidenceKind.LICENCE_FILING,
    )
    escrow.brokers.set(split.brokers)
    EscrowMilestone.objects.bulk_create([
        EscrowMilestone(escrow=escrow, position=m.position, label=m.label[:200], price_amount=m.price.amount,
                        fee_amount=m.fee.amount, buyer_commission_amount=m.buyer_commission.amount,
                        seller_commission_amount=m.seller_commission.amount, is_final=m.is_final)
        for m in split.milestones
    ])
    EscrowTransition.objects.create(escrow=escrow, action="open", from_status=E.AWAITING_FUNDING,
                                    to_status=E.AWAITING_FUNDING, by=None, reason=f"合同已确认 / deal #{locked.pk}")
    deal_lifecycle.deal_await_funding(deal=locked)
    _tell(escrow, "open", text(_("交易 #{pk} 请付款至托管：买方支付 {pays}，卖方实收 {gets}"), pk=locked.pk,
                                      pays=str(split.buyer_pays), gets=str(split.seller_receives)))
    return escrow


@transaction.atomic
def milestone_funding_open(*, milestone: EscrowMilestone, by: User, rail: str = Rail.BANK) -> FundingInstructions:
    """The buyer asks how to pay one milestone (bank transfer instructions, or a Stripe PaymentIntent)."""
    escrow = Escrow.objects.select_for_update().select_related("deal", "deal__buyer").get(pk=milestone.escrow_id)
    if access.acting_side(by, escrow.deal) != Side.BUYER:
        raise NotPermitted("由买方付款 / the buyer funds the escrow")
    milestone = EscrowMilestone.objects.get(pk=milestone.pk)
    rules = Rules()
    rules.check(escrow.status == E.AWAITING_FUNDING, "status", "not_awaiting_funding", "托管不在待付款状态 / not awaiting funding")
    rules.check(milestone.status == M.AWAITING_FUNDING, "milestone", "milestone_funded", "该节点已付款 / already funded")
    rules.check(rail in Rail.values, "rail", "unknown_rail", f"未知支付通道 {rail!r} / unknown rail")
    rules.raise_if_any()
    gateway = get_rail(rail)
    if milestone.funding_reference:
        old = RailInstruction.objects.filter(reference=milestone.funding_reference).first()
        if old is not None and old.status == InstructionStatus.OPEN and old.rail == Rail.BANK:
            old.status = InstructionStatus.CANCELLED
            old.save(update_fields=["status"])
    instructions = gateway.funding_open(FundingRequest(
        escrow.group, escrow.money(milestone.funding_amount), escrow.deal.buyer.name,
        f"交易 #{escrow.deal_id} {milestone.label}"))
    milestone.funding_reference, milestone.funding_rail = instructions.reference, rail
    milestone.save(update_fields=["funding_reference", "funding_rail"])
    return instructions


@transaction.atomic
def confirmation_apply(*, confirmation: Confirmation, by: User | None = None) -> None:
    """Apply a rail's confirmation exactly once: a funding funds its milestone; a payout or refund leaves clearing."""
    if confirmation.kind == InstructionKind.FUNDING:
        m = EscrowMilestone.objects.filter(funding_reference=confirmation.reference).first()
        if m is None:
            raise RuleBroken([("reference", "unknown_reference", f"参考号 {confirmation.reference} 不属于任何托管 / unknown")])
        escrow = Escrow.objects.get(pk=m.escrow_id)

        def effect(locked: Escrow, _t):
            milestone = EscrowMilestone.objects.get(pk=m.pk)
            if milestone.status != M.AWAITING_FUNDING:
                raise RuleBroken([("reference", "reference_reused", "该节点已付款 / this milestone is already funded")])
            if confirmation.amount != locked.money(milestone.funding_amount):
                raise RuleBroken([("amount", "amount_mismatch", "付款金额与节点不符 / amount does not match the milestone")])
            cur = locked.currency
            buyer_funding = _org_account(AccountType.BUYER_FUNDING, locked.deal.buyer_id, cur)
            amount = confirmation.amount.amount
            transaction_post(
                kind="funding", currency=cur, subject=locked.key, by=by, reference=f"rail:{confirmation.reference}",
                memo=f"交易 #{locked.deal_id} {milestone.label} 付款 / funding",
                lines=_lines((_clearing(confirmation.rail, cur), amount), (buyer_funding, -amount),
                             (buyer_funding, amount), (_held(locked), -amount)),
            )
            milestone.status = M.FUNDED
            milestone.save(update_fields=["status"])
            return []

        others_open = EscrowMilestone.objects.filter(escrow=escrow, status=M.AWAITING_FUNDING).exclude(pk=m.pk).exists()
        action = "fund_part" if others_open else "fund"
        after = None if others_open else (lambda locked: deal_lifecycle.deal_funded(deal=locked.deal))
        _step(escrow, action, by=by, reason=f"{m.label} {confirmation.reference}", effect=effect, after=after)
        return
    payout = Payout.objects.select_for_update().filter(reference=confirmation.reference).first()
    if payout is None:
        raise RuleBroken([("reference", "unknown_reference", f"参考号 {confirmation.reference} 不属于任何出款 / unknown")])
    if payout.confirmed:
        raise RuleBroken([("reference", "reference_reused", "该出款已确认 / already confirmed")])
    Escrow.objects.select_for_update().get(pk=payout.escrow_id)
    transaction_post(
        kind=confirmation.kind, currency=payout.currency, subject=f"escrow:{payout.escrow_id}", by=by,
        reference=f"rail:{payout.reference}", memo=f"{payout.account_type} → {payout.rail} {payout.reference}",
        lines=_lines((_org_account(payout.account_type, payout.organisation_id, payout.currency), payout.amount),
                     (_clearing(payout.rail, payout.currency), -payout.amount)),
    )
    payout.confirmed = True
    payout.save(update_fields=["confirmed"])


def payout_send(*, reference: str) -> None:
    """Ask the rail to move an issued payout or refund (after commit; retried by the beat task while open)."""
    payout = Payout.objects.filter(reference=reference, confirmed=False).first()
    if payout is None:
        return
    with transaction.atomic():
        confirmation = get_rail(payout.rail).send(reference)
        if confirmation is not None:
            confirmation_apply(confirmation=confirmation)


# --------------------------------------------------------------------------------------------
# Bank receipts and statements, Stripe webhooks
# --------------------------------------------------------------------------------------------
@transaction.atomic
def bank_receipt_record(*, reference: str, amount: Money, bank_txn_id: str, by: User) -> Confirmation:
    """An operator records money received (or sent, for a payout/refund reference) against its reference."""
    if not permissions.is_operator(by):
        raise NotPermitted("仅运营人员可以登记银行到账 / only operators record bank receipts")
    row = RailInstruction.objects.filter(reference=(reference or "").strip().upper(), rail=Rail.BANK).first()
    kind = row.kind if row is not None else InstructionKind.FUNDING
    confirmation = BankTransferRail().receipt_record(reference=reference, amount=amount, bank_txn_id=bank_txn_id,
                                                     by=by, kind=kind)
    confirmation_apply(confirmation=confirmation, by=by)
    return confirmation


@transaction.atomic
def bank_statement_import(*, file: UploadedFile, by: User) -> StatementResult:
    """An operator uploads the bank's statement: matched lines are applied, the rest listed with their reason."""
    if not permissions.is_operator(by):
        raise NotPermitted("仅运营人员可以导入对账单 / only operators import statements")
    content = file.read()
    if len(content) > 5 * 1024 * 1024:
        raise RuleBroken([("file", "file_too_large", "对账单不超过 5 MB / at most 5 MB")])
    return BankTransferRail().statement_import(content=content, filename=file.name or "statement.csv", by=by,
                                               apply=lambda c: confirmation_apply(confirmation=c, by=by))


@transaction.atomic
def stripe_webhook_receive(*, payload: bytes, signature: str) -> WebhookResult:
    """Verify, record once, and apply a Stripe event (all or nothing)."""
    result = StripeRail().webhook_parse(payload=payload, signature=signature)
    for confirmation in result.confirmations:
        confirmation_apply(confirmation=confirmation)
    return result


# --------------------------------------------------------------------------------------------
# Milestones, evidence, release
# --------------------------------------------------------------------------------------------
def _milestone(escrow: Escrow, milestone: EscrowMilestone) -> EscrowMilestone:
    m = EscrowMilestone.objects.get(pk=milestone.pk)
    if m.escrow_id != escrow.pk:
        raise RuleBroken([("milestone", "not_this_escrow", "节点不属于该托管 / not a milestone of this escrow")])
    return m


def milestone_deliver(*, milestone: EscrowMilestone, by: User, note: str = "") -> Escrow:
    """The seller says a (non-final) milestone is done: the buyer's inspection window starts."""

    def effect(locked: Escrow, _t):
        m = _milestone(locked, milestone)
        rules = Rules()
        rules.check(not m.is_final, "milestone", "final_needs_evidence",
                    "最后节点凭登记/备案证明放款 / the final milestone releases on the recordal evidence")
        rules.check(m.status == M.FUNDED, "milestone", "milestone_not_funded", "该节点未处于已托管状态 / not funded")
        rules.raise_if_any()
        m.status, m.delivered_at = M.DELIVERED, timezone.now()
        m.save(update_fields=["status", "delivered_at"])
        return []

    return _step(Escrow.objects.get(pk=milestone.escrow_id), "deliver", by=by, reason=f"{milestone.label} {note}".strip(),
                 effect=effect)


def milestone_accept(*, milestone: EscrowMilestone, by: User | None, reason: str = "") -> Escrow:
    """The buyer accepts a delivered milestone (or its inspection window lapsed, ``by=None``): it is released."""

    def effect(locked: Escrow, _t):
        m = _milestone(locked, milestone)
        if m.status != M.DELIVERED:
            raise RuleBroken([("milestone", "milestone_not_delivered", "卖方尚未交付该节点 / not delivered")])
        _split_out(locked, m, seller_gross=m.funding_amount, refund=0, kind="release", by=by)
        return []

    escrow = Escrow.objects.get(pk=milestone.escrow_id)
    if by is None:  # the inspection window lapsed: the system accepts for the buyer
        return _step(escrow, "accept", by=None, effect=effect, allowed=lambda t, e: True,
                     reason=reason or f"{milestone.label} 验收期届满自动放款 / inspection window lapsed")
    return _step(escrow, "accept", by=by, reason=reason or milestone.label, effect=effect)


def escrow_release_request(*, escrow: Escrow, by: User, number: str, date: dt.date, file: UploadedFile) -> Escrow:
    """The seller submits the evidence: CNIPA's notice of the registered transfer, or the licence's record filing."""

    def effect(locked: Escrow, _t):
        rules = Rules()
        rules.check(bool((number or "").strip()), "number", "evidence_number_required",
                    "请填写通知书编号或备案号 / the notice or filing number is required")
        rules.check(date is not None and date <= timezone.localdate(), "date", "evidence_date_invalid",
                    "登记/备案日期不能晚于今天 / the date cannot be in the future")
        rules.check(file is not None, "file", "evidence_file_required", "请上传登记/备案证明 / upload the evidence")
        pending = locked.milestones.filter(is_final=False).exclude(status__in=(M.RELEASED,))
        rules.check(not pending.exists(), "milestone", "milestones_pending",
                    "尚有节点未验收放款 / earlier milestones are not released yet")
        rules.raise_if_any()
        try:
            check_upload(file, kind="authorisation")
        except ValidationError as exc:
            raise RuleBroken(validation_errors(exc))
        locked.evidence_number, locked.evidence_date, locked.evidence_by = number.strip()[:80], date, by
        locked.evidence_file.save(file.name or "evidence.pdf", file, save=False)
        return ["evidence_number", "evidence_date", "evidence_by", "evidence_file"]

    return _step(escrow, "request_release", by=by, effect=effect, reason=f"{number} {date}")


def escrow_evidence_reject(*, escrow: Escrow, by: User, reason: str) -> Escrow:
    def effect(locked: Escrow, _t):
        locked.evidence_number, locked.evidence_date = "", None
        return ["evidence_number", "evidence_date"]

    return _step(escrow, "reject_evidence", by=by, reason=reason, effect=effect)


def escrow_release(*, escrow: Escrow, by: User, reason: str = "") -> Escrow:
    """An operator checked the evidence: the held price goes to the seller less the fee and commission exactly as
    shown before funding; the deal closes (the patentee changes on an assignment; a licence is recorded with its
    filing number), the listing closes and other deals on it are cancelled."""

    def effect(locked: Escrow, _t):
        rules = Rules()
        rules.check(bool(locked.evidence_number and locked.evidence_date and locked.evidence_file), "evidence",
                    "evidence_missing", "无登记/备案证明，不能放款 / no evidence: nothing is released")
        rules.raise_if_any()
        for m in locked.milestones.filter(status__in=HELD).order_by("position"):
            _split_out(locked, m, seller_gross=m.funding_amount, refund=0, kind="release", by=by)
        locked.evidence_checked_by = by
        return ["evidence_checked_by"]

    def after(locked: Escrow) -> None:
        deal = locked.deal
        record = locked.evidence_number if locked.evidence_kind == EvidenceKind.LICENCE_FILING else ""
        deal_lifecycle.deal_settle(deal=deal, by=by, reason=reason or f"放款 / released ({locked.evidence_number})",
                                   record_number=record)
        if locked.evidence_kind == EvidenceKind.RECORDAL:
            for patent in deal.patents.all():
                patent_assignment_record(patent=patent, new_holder=deal.buyer, former_holder=deal.seller, by=by,
                                         reason=f"转让登记 {locked.evidence_number}（{locked.evidence_date}）交易 #{deal.pk}")

    return _step(escrow, "release", by=by, reason=reason or "登记/备案证明核验通过 / evidence checked", effect=effect,
                 after=after)


def _refund_all(locked: Escrow, by: User | None) -> None:
    for m in locked.milestones.filter(status__in=HELD).order_by("position"):
        _split_out(locked, m, seller_gross=0, refund=m.funding_amount, kind="refund", by=by)


def escrow_refund(*, escrow: Escrow, by: User, reason: str, amount: Money | None = None) -> Escrow:
    """An operator refunds everything held, back through the rail each milestone came by; the deal is cancelled.
    A partial refund is a dispute resolution (``escrow_resolve``)."""

    def effect(locked: Escrow, _t):
        held = locked.money(sum(m.funding_amount for m in locked.milestones.filter(status__in=HELD)))
        if amount is not None:
            if amount.currency != held.currency:
                raise RuleBroken([("currency", "currency_mismatch", "币种不符 / currency does not match")])
            if amount.amount > held.amount:
                raise RuleBroken([("amount", "refund_exceeds_held",
                                   f"退款 {amount} 超过托管余额 {held} / the refund exceeds what is held")])
            if amount.amount < held.amount:
                raise RuleBroken([("amount", "partial_refund_needs_resolution",
                                   "部分退款须经争议处理 / a partial refund is a dispute resolution")])
        _refund_all(locked, by)
        return []

    return _step(escrow, "refund", by=by, reason=reason, effect=effect,
                 after=lambda locked: deal_lifecycle.deal_settlement_cancel(deal=locked.deal, by=None, reason=reason))


def escrow_expire(*, escrow: Escrow, reason: str = "") -> Escrow:
    """The funding deadline passed: any part already paid is refunded, the deal is cancelled, both sides are told."""
    reason = reason or "付款截止日已过 / the funding deadline passed"
    return _step(escrow, "expire", by=None, reason=reason, effect=lambda locked, _t: _refund_all(locked, None),
                 after=lambda locked: deal_lifecycle.deal_settlement_cancel(deal=locked.deal, by=None, reason=reason))


def escrow_dispute(*, escrow: Escrow, by: User, reason: str) -> Escrow:
    """A party disputes: the escrow is frozen (no delivery, acceptance, release or refund) until an operator resolves it."""
    escrow = _step(escrow, "dispute", by=by, reason=reason)
    notify(users=operators(), verb=Verb.ESCROW_DISPUTE, title=text(_("交易 #{pk} 托管争议待处理"), pk=escrow.deal_id),
           body=reason, url=escrow.deal.get_absolute_url())
    return escrow


def escrow_resolve(*, escrow: Escrow, by: User, reason: str, seller_amount: Money) -> Escrow:
    """An operator settles a dispute: ``seller_amount`` of what is held goes to the seller's side (less the fee and
    commission in proportion), the rest back to the buyer — one ledger transaction per milestone; the deal ends."""

    def effect(locked: Escrow, _t):
        held_ms = list(locked.milestones.filter(status__in=HELD).order_by("position"))
        held = sum(m.funding_amount for m in held_ms)
        rules = Rules()
        rules.check(seller_amount.currency == locked.currency, "seller_amount", "currency_mismatch",
                    "币种不符 / currency does not match")
        rules.check(0 <= seller_amount.amount <= held, "seller_amount", "split_exceeds_held",
                    f"分配给卖方的金额须在 0 至 {locked.money(held)} 之间 / the split must be within what is held")
        rules.raise_if_any()
        to_seller = seller_amount.amount
        for m in held_ms:
            part = min(to_seller, m.funding_amount)
            to_seller -= part
            _split_out(locked, m, seller_gross=part, refund=m.funding_amount - part, kind="resolve", by=by)
        locked.resolution_note = f"{reason}\n卖方 {seller_amount}，买方 {locked.money(held - seller_amount.amount)}"
        return ["resolution_note"]

    return _step(escrow, "resolve", by=by, reason=reason, effect=effect,
                 after=lambda locked: deal_lifecycle.deal_settlement_cancel(deal=locked.deal, by=None,
                                                                            reason=f"托管争议已处理 / dispute resolved: {reason}"))
