"""Offers: the immutable, versioned sets of terms the two sides exchange in a deal room."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import LicenceKind
from listings.deals.models.deal import Deal, DealKind, Side
from marketplace.kernel.money import Money


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
