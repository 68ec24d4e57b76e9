"""The pre-deal IP review (知识产权评议, DOMAIN §7): automatic findings from the catalogue, operators' findings,
the risk level and its response (low proceeds, medium needs mitigation or revised terms, high is held)."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import Encumbrance, LegalStatus, LicenceGrant, LicenceKind, Patent
from listings.deals import access
from listings.deals.models import (
    Deal,
    DealKind,
    DealOffer,
    DealStatus,
    FindingSeverity,
    IpFinding,
    IpReview,
    ReviewState,
    RiskLevel,
)
from listings.deals.services.room import room_event
from listings.trading.models import LIVE_LISTING_STATUSES, AttachmentKind, DealType, Listing, ListingAttachment, ReviewStatus
from listings.trading.services.rules import scopes_overlap
from marketplace import permissions
from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.statemachine import IllegalTransition, RuleBroken
from marketplace.notifications import notify
from marketplace.notifications import text as notice_text
from marketplace.services import operators, organisation_members
from marketplace.verbs import Verb

SEVERITY_ORDER = [FindingSeverity.INFO, FindingSeverity.LOW, FindingSeverity.MEDIUM, FindingSeverity.HIGH]
EXCLUDING = (LicenceKind.EXCLUSIVE, LicenceKind.SOLE)


def _excludes(offer: DealOffer) -> bool:
    return offer.deal_type == DealKind.ASSIGNMENT or offer.licence_kind in EXCLUDING


def automatic_findings(deal: Deal, offer: DealOffer, *, today: dt.date) -> list[dict]:
    """What the catalogue says about each patent of the deal, as ``{patent, code, severity, text}``."""
    findings: list[dict] = []

    def add(patent, code, severity, text):
        findings.append({"patent": patent, "code": code, "severity": severity, "text": text})

    authorisations = []
    if deal.listing_id:
        authorisations = list(
            ListingAttachment.objects.filter(listing_id=deal.listing_id, kind=AttachmentKind.AUTHORISATION,
                                             review_status=ReviewStatus.ACCEPTED)
        )
    for patent in deal.patents.all().prefetch_related("holders"):
        label = patent.publication_number
        # legal status and remaining term
        if patent.legal_status == LegalStatus.PENDING:
            add(patent, "pending_application", FindingSeverity.MEDIUM,
                f"{label} 尚在审查中，交易标的为专利申请权，授权前景不确定 / pending: only the application right is traded")
        elif not patent.in_force_on(today):
            severity = FindingSeverity.HIGH
            add(patent, "not_in_force", severity,
                f"{label} 不在有效状态（{patent.get_legal_status_display()}）/ {label} is not in force")
            if patent.legal_status == LegalStatus.LAPSED:
                add(patent, "annual_fee_unpaid", FindingSeverity.HIGH,
                    f"{label} 因未缴年费终止，须在恢复期内办理恢复 / lapsed for an unpaid annual fee")
        else:
            add(patent, "in_force", FindingSeverity.INFO, f"{label} 专利权有效 / {label} is in force")
        if patent.expiry_date and patent.in_force_on(today):
            days = (patent.expiry_date - today).days
            years = days / 365.25
            text = f"{label} 剩余保护期约 {days // 365} 年（届满日 {patent.expiry_date}）/ about {days // 365} years left (expires {patent.expiry_date})"
            if years < 1:
                add(patent, "term_short", FindingSeverity.HIGH, text)
            elif years < 3:
                add(patent, "term_short", FindingSeverity.MEDIUM, text)
            else:
                add(patent, "remaining_term", FindingSeverity.INFO, text)
            if offer.term_end and offer.term_end > patent.expiry_date:
                add(patent, "term_beyond_expiry", FindingSeverity.HIGH,
                    f"许可期限超过 {label} 的届满日 / the licence term outlasts {label}")
        # ownership
        if any(h.pk == deal.seller_id for h in patent.holders.all()):
            add(patent, "seller_is_patentee", FindingSeverity.INFO, f"卖方是 {label} 的权利人 / the seller holds {label}")
        elif any(a.patent_id in (None, patent.pk) for a in authorisations):
            add(patent, "seller_authorised", FindingSeverity.LOW,
                f"卖方持有经核验的 {label} 权利人授权书 / the seller holds an accepted authorisation for {label}")
        else:
            add(patent, "not_patentee", FindingSeverity.HIGH,
                f"卖方既非 {label} 的权利人，也无经核验的授权书 / the seller is neither patentee nor authorised")
        # encumbrances
        for enc in Encumbrance.objects.filter(patent=patent, active=True):
            add(patent, "encumbered", FindingSeverity.HIGH,
                f"{label} 存在有效的{enc.get_kind_display()}（{enc.reference or '无登记号'}），未经权利人同意不得转让或许可 / "
                f"active {enc.kind}")
        # licences already registered
        for grant in LicenceGrant.objects.filter(patent=patent, active=True):
            if grant.is_open_licence:
                continue
            excl = grant.kind in EXCLUDING
            if offer.deal_type == DealKind.ASSIGNMENT:
                severity = FindingSeverity.MEDIUM if excl else FindingSeverity.LOW
                code = "licence_survives_assignment"
            elif (excl or offer.licence_kind in EXCLUDING) and scopes_overlap(offer, grant):
                severity, code = FindingSeverity.HIGH, "licence_conflict"
            else:
                severity, code = FindingSeverity.INFO, "licence_registered"
            add(patent, code, severity,
                f"{label} 已有{grant.get_kind_display()}（被许可人 {grant.licensee_name}）/ a {grant.kind} licence is registered")
        # open licence
        open_listing = Listing.objects.filter(patents=patent, deal_type=DealType.OPEN_LICENCE,
                                              status__in=LIVE_LISTING_STATUSES).exists()
        if open_listing:
            if offer.deal_type == DealKind.LICENCE and offer.licence_kind in EXCLUDING:
                add(patent, "open_licence_stands", FindingSeverity.HIGH,
                    f"{label} 已声明开放许可，不能给予独占或排他许可 / an open licence stands")
            else:
                add(patent, "open_licence_stands", FindingSeverity.LOW,
                    f"{label} 已声明开放许可，受让/被许可后须遵守 / an open licence stands on {label}")
    return findings


def risk_of(findings) -> str:
    worst = FindingSeverity.INFO
    for f in findings:
        severity = f["severity"] if isinstance(f, dict) else f.severity
        if SEVERITY_ORDER.index(severity) > SEVERITY_ORDER.index(worst):
            worst = severity
    return {FindingSeverity.HIGH: RiskLevel.HIGH, FindingSeverity.MEDIUM: RiskLevel.MEDIUM}.get(worst, RiskLevel.LOW)


STATE_FOR_RISK: dict[str, str] = {RiskLevel.LOW: ReviewState.CLEARED, RiskLevel.MEDIUM: ReviewState.NEEDS_MITIGATION,
                  RiskLevel.HIGH: ReviewState.HELD}


def review_open_effect(deal: Deal, _transition) -> list[str]:
    """Inside the ``review_open`` transition: compute the findings, the risk and the response."""
    offer = deal.agreed_offer
    if offer is None:
        raise IllegalTransition("deal", "review_open", deal.status)
    findings = automatic_findings(deal, offer, today=timezone.localdate())
    risk = risk_of(findings)
    review = IpReview.objects.create(deal=deal, offer=offer, risk_level=risk, state=STATE_FOR_RISK[risk])
    IpFinding.objects.bulk_create([IpFinding(review=review, automatic=True, **f) for f in findings])
    _announce(deal, review)
    return []


def _announce(deal: Deal, review: IpReview, by: User | None = None) -> None:
    room_event(deal, "review", by=by, risk_level=review.risk_level, state=review.state, review=review.pk)
    url = f"/deals/{deal.pk}/review/"
    title = notice_text(_("交易 #{pk} 知识产权评议：风险{risk}，{state}"), pk=deal.pk, risk=RiskLevel(review.risk_level).label,
                        state=ReviewState(review.state).label)
    users = organisation_members(deal.seller) + organisation_members(deal.buyer)
    if review.state == ReviewState.HELD:
        users += operators()
    notify(users=users, verb=Verb.DEAL_REVIEW, title=title, url=url)


def current_review(deal: Deal) -> IpReview | None:
    return deal.ip_reviews.order_by("-created_at", "-pk").first()


def _lock_review(review: IpReview) -> tuple[Deal, IpReview]:
    from listings.deals.services.lifecycle import lock_listing_of

    lock_listing_of(Deal.objects.only("pk", "listing_id").get(pk=review.deal_id))  # listing first, then the deal
    deal = Deal.objects.select_for_update().get(pk=review.deal_id)
    review = IpReview.objects.select_for_update().get(pk=review.pk)
    current = current_review(deal)
    if deal.status != DealStatus.IP_REVIEW or current is None or current.pk != review.pk:
        raise IllegalTransition("ip_review", "change", deal.status)
    return deal, review


@transaction.atomic
def review_finding_add(*, review: IpReview, by: User, code: str, severity: str, text: str,
                       patent: Patent | None = None) -> IpFinding:
    """An operator adds a manual finding (invalidation request, litigation, ownership dispute …); the risk
    level is recomputed and may hold a deal that had been cleared."""
    if not permissions.is_operator(by):
        raise NotPermitted("仅运营人员可以添加评议发现 / only operators add findings")
    deal, review = _lock_review(review)
    problems = []
    if severity not in FindingSeverity.values:
        problems.append(("severity", "invalid_choice", f"未知风险程度 / unknown severity {severity!r}"))
    if not (text or "").strip():
        problems.append(("text", "required", "请填写评议发现 / describe the finding"))
    if not (code or "").strip():
        problems.append(("code", "required", "请选择类别 / choose a category"))
    if patent is not None and not deal.patents.filter(pk=patent.pk).exists():
        problems.append(("patent", "patent_not_in_deal", "该专利不属于本交易 / the patent is not part of this deal"))
    if problems:
        raise RuleBroken(problems)
    finding = IpFinding.objects.create(review=review, patent=patent, code=code.strip()[:40], severity=severity,
                                       text=text.strip(), automatic=False, added_by=by)
    risk = risk_of(review.findings.all())
    if _rank(risk) > _rank(review.risk_level):
        review.risk_level = risk
        review.state = STATE_FOR_RISK[risk]
        review.save(update_fields=["risk_level", "state"])
        _void(deal)
    _announce(deal, review, by)
    return finding


def _rank(risk: str) -> int:
    return [str(RiskLevel.LOW), str(RiskLevel.MEDIUM), str(RiskLevel.HIGH)].index(risk)


def _void(deal: Deal) -> None:
    deal.confirmations.filter(voided_at__isnull=True).update(voided_at=timezone.now())


@transaction.atomic
def review_mitigate(*, review: IpReview, by: User, note: str) -> IpReview:
    """A medium risk: a party records the mitigation plan; the deal goes on (revised terms go through ``deal_revise``)."""
    deal, review = _lock_review(review)
    if access.acting_side(by, deal) is None:
        raise NotPermitted("仅交易双方可以提交风险应对方案 / only the parties submit a mitigation plan")
    if review.state != ReviewState.NEEDS_MITIGATION:
        raise IllegalTransition("ip_review", "mitigate", review.state)
    if len((note or "").strip()) < 10:
        raise RuleBroken([("mitigation_note", "mitigation_required",
                           "请写明风险应对方案（至少 10 个字）/ describe the mitigation (10 characters or more)")])
    review.mitigation_note, review.mitigation_by, review.state = note.strip(), by, ReviewState.CLEARED
    review.save(update_fields=["mitigation_note", "mitigation_by", "state"])
    _announce(deal, review, by)
    return review


@transaction.atomic
def review_decide(*, review: IpReview, by: User, proceed: bool, note: str) -> IpReview:
    """A high risk: an operator (after the expert panel) lets the deal proceed or stops it (the deal is cancelled)."""
    if not permissions.is_operator(by):
        raise NotPermitted("仅运营人员可以决定 / only operators decide on a held deal")
    deal, review = _lock_review(review)
    if review.state not in (ReviewState.HELD, ReviewState.NEEDS_MITIGATION):
        raise IllegalTransition("ip_review", "decide", review.state)
    if not (note or "").strip():
        raise RuleBroken([("decision_note", "reason_required", "请写明决定理由 / a reason is required")])
    review.decision_note, review.decided_by, review.decided_at = note.strip(), by, timezone.now()
    review.state = ReviewState.CLEARED if proceed else ReviewState.STOPPED
    review.save(update_fields=["decision_note", "decided_by", "decided_at", "state"])
    _announce(deal, review, by)
    if not proceed:
        from listings.deals.services.lifecycle import deal_cancel

        deal_cancel(deal=deal, by=by, reason=f"知识产权评议：{note.strip()}")
    return review
