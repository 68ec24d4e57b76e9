"""After terms are agreed: the pre-deal IP review with its findings, and the parties' contract confirmations."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from listings.deals.models.deal import Deal, Side
from listings.deals.models.offers import DealOffer


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
