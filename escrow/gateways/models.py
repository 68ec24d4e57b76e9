"""What each rail was asked to do (instructions with unique references) and what it told us (events, bank
statement lines): the rails' own records, which reconciliation compares with the ledger."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rail(models.TextChoices):
    BANK = "bank", _("银行转账")
    STRIPE = "stripe", _("Stripe（银行卡、支付宝、微信支付）")


class InstructionKind(models.TextChoices):
    FUNDING = "funding", _("付款")
    PAYOUT = "payout", _("出款")
    REFUND = "refund", _("退款")


class InstructionStatus(models.TextChoices):
    OPEN = "open", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已作废")


class RailInstruction(models.Model):
    """One request to a rail: funding instructions for a payer, a payout to a payee, a refund of a funding."""

    rail = models.CharField(_("通道"), max_length=10, choices=Rail.choices)
    kind = models.CharField(_("类别"), max_length=10, choices=InstructionKind.choices)
    reference = models.CharField(_("参考号"), max_length=40, unique=True)
    group = models.CharField(_("业务组"), max_length=64, db_index=True, help_text=_("e.g. deal-12 (Stripe transfer_group)"))
    amount = models.BigIntegerField(_("金额（最小单位）"))
    currency = models.CharField(_("币种"), max_length=3)
    status = models.CharField(_("状态"), max_length=10, choices=InstructionStatus.choices, default=InstructionStatus.OPEN)
    external_id = models.CharField(_("通道单号"), max_length=80, blank=True, db_index=True)
    payee = models.CharField(_("收款账户"), max_length=120, blank=True)
    payee_name = models.CharField(_("收款人"), max_length=200, blank=True)
    funding = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds",
                                help_text=_("the funding a refund returns"))
    idempotency_key = models.CharField(max_length=80, unique=True)
    client_secret = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("通道指令")
        verbose_name_plural = _("通道指令")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="rail_instruction_amount_positive")]

    def __str__(self) -> str:
        return f"{self.rail} {self.kind} {self.reference}"


class RailEvent(models.Model):
    """One thing a rail told us, applied at most once: a Stripe event id, a bank transaction id."""

    rail = models.CharField(_("通道"), max_length=10, choices=Rail.choices)
    event_id = models.CharField(_("事件号"), max_length=120)
    type = models.CharField(_("类型"), max_length=60)
    instruction = models.ForeignKey(RailInstruction, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    amount = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    outcome = models.CharField(_("处理结果"), max_length=40)
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = _("通道事件")
        verbose_name_plural = _("通道事件")
        constraints = [models.UniqueConstraint(fields=["rail", "event_id"], name="rail_event_once")]


class BankStatement(models.Model):
    """An uploaded bank statement (CSV); its lines are matched to instructions by reference."""

    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("银行对账单")
        verbose_name_plural = _("银行对账单")


class LineStatus(models.TextChoices):
    MATCHED = "matched", _("已匹配")
    UNMATCHED = "unmatched", _("未匹配")


class BankStatementLine(models.Model):
    """One line of a statement: matched to an instruction, or listed as unmatched with the reason."""

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    bank_txn_id = models.CharField(_("银行流水号"), max_length=80)
    value_date = models.CharField(_("日期"), max_length=20)
    direction = models.CharField(_("方向"), max_length=6)
    amount = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    reference = models.CharField(_("附言参考号"), max_length=80, blank=True)
    status = models.CharField(max_length=10, choices=LineStatus.choices)
    instruction = models.ForeignKey(RailInstruction, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["statement", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["bank_txn_id"], condition=models.Q(status="matched"),
                                    name="bank_line_matched_once"),
        ]
