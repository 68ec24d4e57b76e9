"""Escrow rows: the fee schedule, payee accounts, one escrow per deal with its milestones, evidence and audit rows.

Status changes only through ``escrow.settlement.services`` (declared ``ESCROW_MACHINE``, ``apply_transition``);
money moves only as ledger transactions posted in the same database transaction as the status change.
"""
from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketplace.kernel.money import Money
from marketplace.kernel.records import TransitionRecord


class FeeDealType(models.TextChoices):
    ASSIGNMENT = "assignment", _("转让")
    LICENCE = "licence", _("许可")


class FeeSchedule(models.Model):
    """The exchange's fee for one deal type and currency: basis points of the price, with a minimum (set in the admin)."""

    deal_type = models.CharField(_("交易方式"), max_length=20, choices=FeeDealType.choices)
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    bps = models.PositiveIntegerField(_("费率（基点）"), help_text=_("100 = 1%"))
    minimum_amount = models.BigIntegerField(_("最低收费（分）"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("交易服务费标准")
        verbose_name_plural = _("交易服务费标准")
        constraints = [
            models.UniqueConstraint(fields=["deal_type", "currency"], name="fee_schedule_unique"),
            models.CheckConstraint(condition=models.Q(bps__lte=10000), name="fee_bps_at_most_100_percent"),
            models.CheckConstraint(condition=models.Q(minimum_amount__gte=0), name="fee_minimum_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_deal_type_display()} {self.bps}bp ≥ {Money(int(self.minimum_amount), self.currency)}"


class PayeeAccount(models.Model):
    """Where an organisation is paid: its bank account, and its Stripe connected account (``acct_…``)."""

    organisation = models.OneToOneField("marketplace.Organisation", on_delete=models.PROTECT, related_name="payee_account")
    bank_name = models.CharField(_("开户行"), max_length=200, blank=True)
    bank_account_name = models.CharField(_("户名"), max_length=200, blank=True)
    bank_account_number = models.CharField(_("账号"), max_length=64, blank=True)
    stripe_account = models.CharField(_("Stripe 收款账户"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("收款账户")
        verbose_name_plural = _("收款账户")

    def __str__(self) -> str:
        return str(self.organisation)


class EscrowStatus(models.TextChoices):
    AWAITING_FUNDING = "awaiting_funding", _("待付款")
    FUNDED = "funded", _("已托管")
    RELEASE_REQUESTED = "release_requested", _("已申请放款")
    RELEASED = "released", _("已放款")
    REFUNDED = "refunded", _("已退款")
    DISPUTED = "disputed", _("争议冻结")
    RESOLVED = "resolved", _("争议已处理")
    CANCELLED = "cancelled", _("逾期未付款，已取消")


class EvidenceKind(models.TextChoices):
    RECORDAL = "recordal", _("国家知识产权局转让登记通知")
    LICENCE_FILING = "licence_filing", _("专利实施许可合同备案证明")


def evidence_upload_to(instance: Escrow, filename: str) -> str:
    return f"escrow/{instance.pk}/{uuid.uuid4().hex}{PurePosixPath(filename).suffix.lower()}"


class Escrow(models.Model):
    """The price of one deal held by the exchange, with the fee and commission fixed (and shown) before funding."""

    deal = models.OneToOneField("listings.Deal", on_delete=models.PROTECT, related_name="escrow")
    status = models.CharField(_("状态"), max_length=20, choices=EscrowStatus.choices, default=EscrowStatus.AWAITING_FUNDING,
                              db_index=True)
    currency = models.CharField(_("币种"), max_length=3)
    price_amount = models.BigIntegerField(_("价款"))
    fee_amount = models.BigIntegerField(_("交易服务费"))
    fee_bps = models.PositiveIntegerField(_("服务费率（基点）"))
    buyer_commission_amount = models.BigIntegerField(_("买方承担佣金"))
    seller_commission_amount = models.BigIntegerField(_("卖方承担佣金"))
    brokers = models.ManyToManyField("marketplace.Organisation", blank=True, related_name="+", verbose_name=_("佣金收取方"))
    funding_deadline = models.DateTimeField(_("付款截止"))
    inspection_days = models.PositiveIntegerField(_("验收期（天）"))
    evidence_kind = models.CharField(_("放款凭证类别"), max_length=20, choices=EvidenceKind.choices)
    evidence_number = models.CharField(_("通知书编号/备案号"), max_length=80, blank=True)
    evidence_date = models.DateField(_("登记/备案日期"), null=True, blank=True)
    evidence_file = models.FileField(upload_to=evidence_upload_to, max_length=300, blank=True)
    evidence_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    evidence_checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="+")
    resolution_note = models.TextField(_("争议处理说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("资金托管")
        verbose_name_plural = _("资金托管")
        constraints = [
            models.CheckConstraint(condition=models.Q(price_amount__gte=0, fee_amount__gte=0,
                                                      buyer_commission_amount__gte=0, seller_commission_amount__gte=0),
                                   name="escrow_amounts_non_negative"),
            models.CheckConstraint(
                condition=models.Q(price_amount__gte=models.F("fee_amount") + models.F("seller_commission_amount")),
                name="escrow_seller_net_non_negative"),
        ]

    def __str__(self) -> str:
        return f"escrow #{self.pk} deal #{self.deal_id}"

    @property
    def key(self) -> str:
        return f"escrow:{self.pk}"

    @property
    def group(self) -> str:
        return f"deal-{self.deal_id}"

    def money(self, amount: int) -> Money:
        return Money(int(amount), self.currency)

    @property
    def commission_amount(self) -> int:
        return self.buyer_commission_amount + self.seller_commission_amount

    @property
    def funding_total_amount(self) -> int:
        return self.price_amount + self.buyer_commission_amount

    @property
    def seller_net_amount(self) -> int:
        return self.price_amount - self.fee_amount - self.seller_commission_amount


class MilestoneStatus(models.TextChoices):
    AWAITING_FUNDING = "awaiting_funding", _("待付款")
    FUNDED = "funded", _("已托管")
    DELIVERED = "delivered", _("卖方已交付，验收中")
    RELEASED = "released", _("已放款")
    REFUNDED = "refunded", _("已退款")
    SETTLED = "settled", _("争议处理已结算")


class EscrowMilestone(models.Model):
    """One payment of the escrow: what the buyer pays in and how it splits on release (fixed before funding)."""

    escrow = models.ForeignKey(Escrow, on_delete=models.PROTECT, related_name="milestones")
    position = models.PositiveIntegerField()
    label = models.CharField(_("付款节点"), max_length=200)
    price_amount = models.BigIntegerField(_("价款部分"))
    fee_amount = models.BigIntegerField(_("服务费部分"))
    buyer_commission_amount = models.BigIntegerField(_("买方佣金部分"))
    seller_commission_amount = models.BigIntegerField(_("卖方佣金部分"))
    status = models.CharField(_("状态"), max_length=20, choices=MilestoneStatus.choices,
                              default=MilestoneStatus.AWAITING_FUNDING)
    funding_reference = models.CharField(_("付款参考号"), max_length=40, blank=True)
    funding_rail = models.CharField(_("付款通道"), max_length=10, blank=True)
    is_final = models.BooleanField(_("以登记/备案为放款条件"), default=False)
    delivered_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["escrow", "position"]
        constraints = [models.UniqueConstraint(fields=["escrow", "position"], name="escrow_milestone_position_unique")]

    def __str__(self) -> str:
        return f"{self.escrow_id}/{self.position} {self.label}"

    @property
    def funding_amount(self) -> int:
        return self.price_amount + self.buyer_commission_amount

    @property
    def seller_net_amount(self) -> int:
        return self.price_amount - self.fee_amount - self.seller_commission_amount

    @property
    def commission_amount(self) -> int:
        return self.buyer_commission_amount + self.seller_commission_amount


class EscrowTransition(TransitionRecord):
    """One step of an escrow: who, when, why (milestone steps name their milestone in the reason)."""

    subject_field = "escrow"
    escrow = models.ForeignKey(Escrow, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=EscrowStatus.choices)
    to_status = models.CharField(max_length=20, choices=EscrowStatus.choices)

    class Meta(TransitionRecord.Meta):
        verbose_name = _("托管状态变更")
        verbose_name_plural = _("托管状态变更")


class Payout(models.Model):
    """A payout or refund the escrow issued on a rail, and whom it pays (for statements)."""

    escrow = models.ForeignKey(Escrow, on_delete=models.PROTECT, related_name="payouts")
    milestone = models.ForeignKey(EscrowMilestone, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("marketplace.Organisation", on_delete=models.PROTECT, related_name="+")
    account_type = models.CharField(max_length=24)  # the ledger account it draws down
    rail = models.CharField(max_length=10)
    reference = models.CharField(max_length=40, unique=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    confirmed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["escrow", "pk"]
