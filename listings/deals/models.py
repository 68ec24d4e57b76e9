"""Deals: negotiations between a seller and a buyer organisation, their offers, room messages, brokers,
confidential documents, the pre-deal IP review and the contract confirmations.

Rows change only through ``listings.deals.services``; each status change writes a ``DealTransition``.
"""
from __future__ import annotations

import hashlib
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import LicenceKind
from marketplace.kernel.money import Money
from marketplace.kernel.records import TransitionRecord

#: amounts must stay below 2^53 (exact in JavaScript clients)
MAX_AMOUNT = 2**53 - 1


class DealKind(models.TextChoices):
    ASSIGNMENT = "assignment", _("转让")
    LICENCE = "licence", _("许可")


class DealStatus(models.TextChoices):
    ENQUIRY = "enquiry", _("意向")
    NEGOTIATING = "negotiating", _("洽谈中")
    TERMS_AGREED = "terms_agreed", _("条款已商定")
    IP_REVIEW = "ip_review", _("知识产权评议")
    CONTRACT_CONFIRMED = "contract_confirmed", _("合同已确认")
    AWAITING_FUNDING = "awaiting_funding", _("待付款托管")
    FUNDED = "funded", _("价款已托管")
    CLOSED = "closed", _("已成交")
    DECLINED = "declined", _("已拒绝")
    CANCELLED = "cancelled", _("已取消")
    PAUSED = "paused", _("已暂停")
    DISPUTED = "disputed", _("争议中")


#: deals still running (they claim their place on a listing)
LIVE_DEAL_STATUSES = (
    DealStatus.ENQUIRY, DealStatus.NEGOTIATING, DealStatus.TERMS_AGREED, DealStatus.IP_REVIEW,
    DealStatus.CONTRACT_CONFIRMED, DealStatus.AWAITING_FUNDING, DealStatus.FUNDED, DealStatus.PAUSED, DealStatus.DISPUTED,
)
#: deals holding agreed terms (an exclusive one pauses its siblings)
AGREED_STATUSES = (
    DealStatus.TERMS_AGREED, DealStatus.IP_REVIEW, DealStatus.CONTRACT_CONFIRMED, DealStatus.AWAITING_FUNDING,
    DealStatus.FUNDED, DealStatus.DISPUTED,
)
#: the room is open for chat and offers in these
ROOM_OPEN_STATUSES = LIVE_DEAL_STATUSES


class Side(models.TextChoices):
    SELLER = "seller", _("卖方")
    BUYER = "buyer", _("买方")


class CommissionPayer(models.TextChoices):
    SELLER = "seller", _("卖方支付")
    BUYER = "buyer", _("买方支付")
    SPLIT = "split", _("双方各半")


DEFAULT_NDA_TEXT = (
    "保密条款：接收方对披露方在本交易室中标记为保密的全部技术资料、商业信息负有保密义务，"
    "仅可用于评估本次专利交易，不得向任何第三方披露，不得用于其他目的；本义务自接受之日起五年内有效。\n"
    "Non-disclosure: the recipient keeps every document marked confidential in this deal room secret, uses it only "
    "to evaluate this patent deal, discloses it to no third party, for five years from acceptance."
)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Deal(models.Model):
    """One negotiation between a seller's and a buyer's organisation over a listing or a matched patent."""

    listing = models.ForeignKey(
        "listings.Listing", verbose_name=_("挂牌"), null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    match = models.ForeignKey(
        "listings.DemandMatch", verbose_name=_("需求匹配"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="deals",
    )
    demand = models.ForeignKey(
        "listings.Demand", verbose_name=_("技术需求"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="deals",
    )
    patents = models.ManyToManyField("listings.Patent", verbose_name=_("专利"), related_name="deals")
    seller = models.ForeignKey(
        "marketplace.Organisation", verbose_name=_("卖方（权利人）"), on_delete=models.PROTECT, related_name="deals_selling"
    )
    buyer = models.ForeignKey(
        "marketplace.Organisation", verbose_name=_("买方"), on_delete=models.PROTECT, related_name="deals_buying"
    )
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deals_opened")
    opened_by_side = models.CharField(_("发起方"), max_length=10, choices=Side.choices)
    deal_type = models.CharField(_("交易方式"), max_length=20, choices=DealKind.choices)
    licence_kind = models.CharField(_("许可类型"), max_length=20, choices=LicenceKind.choices, blank=True)
    enquiry_price_amount = models.BigIntegerField(_("意向价格（分）"), null=True, blank=True)
    enquiry_message = models.TextField(_("意向说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=DealStatus.choices, default=DealStatus.ENQUIRY, db_index=True
    )
    #: where a paused or disputed deal returns to
    resume_status = models.CharField(max_length=20, choices=DealStatus.choices, blank=True)
    agreed_offer = models.ForeignKey(
        "DealOffer", verbose_name=_("商定条款"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreed_at = models.DateTimeField(_("条款商定时间"), null=True, blank=True)
    commission_bps = models.PositiveIntegerField(_("佣金费率（基点）"), null=True, blank=True)
    commission_fixed_amount = models.BigIntegerField(_("固定佣金（分）"), null=True, blank=True)
    commission_payer = models.CharField(_("佣金支付方"), max_length=10, choices=CommissionPayer.choices, blank=True)
    commission_set_at = models.DateTimeField(null=True, blank=True)
    nda_text = models.TextField(_("保密条款"), default=DEFAULT_NDA_TEXT)
    next_seq = models.PositiveBigIntegerField(default=1, editable=False)
    closed_at = models.DateTimeField(_("成交时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("交易")
        verbose_name_plural = _("交易")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(commission_fixed_amount__isnull=True) | models.Q(commission_fixed_amount__gte=0),
                name="deal_commission_fixed_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(commission_bps__isnull=True) | models.Q(commission_bps__lte=10000),
                name="deal_commission_bps_at_most_100_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.seller} → {self.buyer}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("listings:deals:deal-room", args=[self.pk])

    @property
    def title(self) -> str:
        if self.listing is not None:
            return self.listing.title
        first = self.patents.first()
        return first.title if first else f"#{self.pk}"

    @property
    def is_negotiating(self) -> bool:
        """Offers may be made (``offers.offer_make`` requires it)."""
        return self.status == DealStatus.NEGOTIATING

    @property
    def is_in_ip_review(self) -> bool:
        """The IP review is open: the generated contract may be confirmed (``contract.contract_confirm``)."""
        return self.status == DealStatus.IP_REVIEW

    @property
    def is_excluding(self) -> bool:
        """An assignment, exclusive or sole licence: only one such deal on a listing reaches agreed terms."""
        return self.deal_type == DealKind.ASSIGNMENT or self.licence_kind in (LicenceKind.EXCLUSIVE, LicenceKind.SOLE)

    @property
    def nda_sha256(self) -> str:
        return sha256_text(self.nda_text)

    @property
    def commission_display(self) -> str:
        if self.commission_bps is not None:
            whole, frac = divmod(self.commission_bps, 100)
            return f"{whole}.{frac:02d}%"
        if self.commission_fixed_amount is not None:
            return str(Money(int(self.commission_fixed_amount)))
        return ""


class DealTransition(TransitionRecord):
    """One status change of a deal: who, when, why."""

    subject_field = "deal"
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("原状态"), max_length=20, choices=DealStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=20, choices=DealStatus.choices)

    class Meta(TransitionRecord.Meta):
        verbose_name = _("交易状态变更")
        verbose_name_plural = _("交易状态变更")


class BrokerStatus(models.TextChoices):
    REQUESTED = "requested", _("已请求运营指派")
    INVITED = "invited", _("已邀请")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已拒绝")


class DealBroker(models.Model):
    """A broker organisation acting for one side of a deal (invited by that side, or assigned by an operator)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="brokers")
    side = models.CharField(_("代表方"), max_length=10, choices=Side.choices)
    organisation = models.ForeignKey(
        "marketplace.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="deals_brokered"
    )
    status = models.CharField(_("状态"), max_length=10, choices=BrokerStatus.choices)
    note = models.TextField(_("说明"), blank=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deal", "created_at", "pk"]
        verbose_name = _("交易经纪人")
        verbose_name_plural = _("交易经纪人")

    @property
    def is_requested(self) -> bool:
        """Asked of the operators, who assign a broker organisation."""
        return self.status == BrokerStatus.REQUESTED


class OfferStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    ACCEPTED = "accepted", _("已接受")
    REJECTED = "rejected", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")
    EXPIRED = "expired", _("已过期")
    SUPERSEDED = "superseded", _("已被还价取代")


class DealOffer(models.Model):
    """One immutable, versioned set of terms; only its status changes after it is made."""

    TERM_FIELDS = (
        "deal_type", "price_amount", "currency", "licence_kind", "territory", "field_of_use", "term_start",
        "term_end", "royalty_bps", "milestones", "expires_at",
    )

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="offers")
    version = models.PositiveIntegerField(_("版本"))
    side = models.CharField(_("提出方"), max_length=10, choices=Side.choices)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answers = models.ForeignKey(
        "self", verbose_name=_("还价所针对的报价"), null=True, blank=True, on_delete=models.PROTECT, related_name="counters"
    )
    deal_type = models.CharField(_("交易方式"), max_length=20, choices=DealKind.choices)
    price_amount = models.BigIntegerField(_("价格（分）"))
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    licence_kind = models.CharField(_("许可类型"), max_length=20, choices=LicenceKind.choices, blank=True)
    territory = models.CharField(_("许可地域"), max_length=200, blank=True)
    field_of_use = models.CharField(_("使用领域"), max_length=200, blank=True)
    term_start = models.DateField(_("许可期限起"), null=True, blank=True)
    term_end = models.DateField(_("许可期限止"), null=True, blank=True)
    royalty_bps = models.PositiveIntegerField(_("提成费率（基点）"), null=True, blank=True)
    milestones = models.JSONField(_("付款计划"), default=list, help_text=_("[{\"label\", \"amount\"（分）, \"due\"}]"))
    expires_at = models.DateTimeField(_("报价有效期至"))
    message = models.TextField(_("说明"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=OfferStatus.choices, default=OfferStatus.OPEN, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal", "version"]
        verbose_name = _("报价")
        verbose_name_plural = _("报价")
        constraints = [
            models.UniqueConstraint(fields=["deal", "version"], name="deal_offer_version_unique"),
            models.CheckConstraint(condition=models.Q(price_amount__gte=0), name="deal_offer_price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"#{self.deal_id} v{self.version}"

    @property
    def price(self) -> Money:
        return Money(int(self.price_amount), self.currency)

    @property
    def is_open(self) -> bool:
        """Still awaiting an answer: it may be accepted, rejected or withdrawn."""
        return self.status == OfferStatus.OPEN

    def terms(self) -> dict:
        """The comparable terms (dates as ISO text) — the basis of the counter-offer diff and the contract."""
        values = {}
        for name in self.TERM_FIELDS:
            value = getattr(self, name)
            values[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return values


class MessageKind(models.TextChoices):
    CHAT = "chat", _("消息")
    OFFER = "offer", _("报价")
    ATTACHMENT = "attachment", _("附件")
    EVENT = "event", _("事件")


class DealMessage(models.Model):
    """Everything said or done in a deal room, in order: ``seq`` counts from 1 per deal without gaps."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=12, choices=MessageKind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal", "seq"]
        constraints = [models.UniqueConstraint(fields=["deal", "seq"], name="deal_message_seq_unique")]
        verbose_name = _("交易室消息")
        verbose_name_plural = _("交易室消息")


def document_upload_to(instance: DealDocument, filename: str) -> str:
    return f"deals/{instance.deal_id}/{uuid.uuid4().hex}{PurePosixPath(filename).suffix.lower()}"


class DealDocument(models.Model):
    """A file shared in the room; a confidential one is seen by the buyer only after accepting the NDA."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_upload_to, max_length=300)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    confidential = models.BooleanField(_("保密"), default=False)
    side = models.CharField(max_length=10, choices=Side.choices)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal", "uploaded_at", "pk"]
        verbose_name = _("交易文件")
        verbose_name_plural = _("交易文件")


class NdaAcceptance(models.Model):
    """Who accepted the deal's non-disclosure terms, when, and the sha256 of the exact text."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="nda_acceptances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="+")
    text_sha256 = models.CharField(max_length=64)
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "user", "text_sha256"], name="deal_nda_once")]


class RiskLevel(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


class ReviewState(models.TextChoices):
    CLEARED = "cleared", _("可继续")
    NEEDS_MITIGATION = "needs_mitigation", _("待提交风险应对")
    HELD = "held", _("暂停，待运营决定")
    STOPPED = "stopped", _("终止")


class IpReview(models.Model):
    """The pre-deal IP review (知识产权评议, DOMAIN §7) of a deal's agreed terms."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="ip_reviews")
    offer = models.ForeignKey(DealOffer, on_delete=models.PROTECT, related_name="+")
    risk_level = models.CharField(_("风险等级"), max_length=10, choices=RiskLevel.choices)
    state = models.CharField(_("评议结论"), max_length=20, choices=ReviewState.choices)
    mitigation_note = models.TextField(_("风险应对方案"), blank=True)
    mitigation_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_note = models.TextField(_("运营决定"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal", "-created_at", "-pk"]
        verbose_name = _("知识产权评议")
        verbose_name_plural = _("知识产权评议")


class FindingSeverity(models.TextChoices):
    INFO = "info", _("提示")
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


class IpFinding(models.Model):
    """One finding: automatic from the catalogue, or added by an operator (invalidation, litigation, ownership)."""

    review = models.ForeignKey(IpReview, on_delete=models.CASCADE, related_name="findings")
    patent = models.ForeignKey("listings.Patent", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=40)
    severity = models.CharField(max_length=10, choices=FindingSeverity.choices)
    text = models.TextField()
    automatic = models.BooleanField(default=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["review", "pk"]


class ContractConfirmation(models.Model):
    """A party's confirmation of the contract text: who, when, the sha256 of the exact text; voided when terms change."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="confirmations")
    side = models.CharField(max_length=10, choices=Side.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text_sha256 = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deal", "confirmed_at", "pk"]
