"""Release: milestone delivery and acceptance, the seller's recordal or filing evidence, the operator's check,
and the release that pays the seller exactly what was shown before funding."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from escrow.settlement.models import (
    Escrow,
    EscrowMilestone,
    EvidenceKind,
)
from escrow.settlement.services.machine import HELD, M, step
from escrow.settlement.services.payouts import split_out
from listings.catalogue.services.patentees import patent_assignment_record
from listings.deals.services import lifecycle as deal_lifecycle
from marketplace.kernel.errors import validation_errors
from marketplace.kernel.statemachine import RuleBroken, Rules
from marketplace.kernel.uploads import check_upload


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

    return step(Escrow.objects.get(pk=milestone.escrow_id), "deliver", by=by, reason=f"{milestone.label} {note}".strip(),
                 effect=effect)


def milestone_accept(*, milestone: EscrowMilestone, by: User | None, reason: str = "") -> Escrow:
    """The buyer accepts a delivered milestone (or its inspection window lapsed, ``by=None``): it is released."""

    def effect(locked: Escrow, _t):
        m = _milestone(locked, milestone)
        if m.status != M.DELIVERED:
            raise RuleBroken([("milestone", "milestone_not_delivered", "卖方尚未交付该节点 / not delivered")])
        split_out(locked, m, seller_gross=m.funding_amount, refund=0, kind="release", by=by)
        return []

    escrow = Escrow.objects.get(pk=milestone.escrow_id)
    if by is None:  # the inspection window lapsed: the system accepts for the buyer
        return step(escrow, "accept", by=None, effect=effect, allowed=lambda t, e: True,
                     reason=reason or f"{milestone.label} 验收期届满自动放款 / inspection window lapsed")
    return step(escrow, "accept", by=by, reason=reason or milestone.label, effect=effect)


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

    return step(escrow, "request_release", by=by, effect=effect, reason=f"{number} {date}")


def escrow_evidence_reject(*, escrow: Escrow, by: User, reason: str) -> Escrow:
    def effect(locked: Escrow, _t):
        locked.evidence_number, locked.evidence_date = "", None
        return ["evidence_number", "evidence_date"]

    return step(escrow, "reject_evidence", by=by, reason=reason, effect=effect)


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
            split_out(locked, m, seller_gross=m.funding_amount, refund=0, kind="release", by=by)
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

    return step(escrow, "release", by=by, reason=reason or "登记/备案证明核验通过 / evidence checked", effect=effect,
                 after=after)
