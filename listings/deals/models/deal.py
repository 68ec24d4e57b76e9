"""The deal itself: its kinds and statuses, the status history and the brokers acting for either side."""
from __future__ import annotations

import hashlib

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
