"""What holders put on the exchange: listings of a patent or a portfolio, their audit trail and files,
the licences already granted, and the encumbrances (pledges, preservation) that stop trading.

Status only ever changes through ``listings.trading.services.lifecycle``; each change writes a
``ListingTransition`` row with who and why.
"""
from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import DealType, LicenceKind
from marketplace.kernel.money import Money
from marketplace.kernel.records import TransitionRecord

#: licence kinds that exclude others (DOMAIN §4)
EXCLUDING_KINDS = (LicenceKind.EXCLUSIVE, LicenceKind.SOLE)


class ListingStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    IN_REVIEW = "in_review", _("审核中")
    REJECTED = "rejected", _("退回修改")
    PUBLISHED = "published", _("已发布")
    UNDER_NEGOTIATION = "under_negotiation", _("洽谈中")
    CLOSED = "closed", _("已成交")
    WITHDRAWN = "withdrawn", _("已撤回")
    EXPIRED = "expired", _("已过期")
    SUSPENDED = "suspended", _("已暂停")


PUBLIC_STATUSES = (ListingStatus.PUBLISHED, ListingStatus.UNDER_NEGOTIATION)
EDITABLE_STATUSES = (ListingStatus.DRAFT, ListingStatus.REJECTED)
#: statuses in which a listing still claims its patents (for conflict checks)
LIVE_LISTING_STATUSES = (
    ListingStatus.SUBMITTED,
    ListingStatus.IN_REVIEW,
    ListingStatus.PUBLISHED,
    ListingStatus.UNDER_NEGOTIATION,
    ListingStatus.SUSPENDED,
)


class CloseOutcome(models.TextChoices):
    ASSIGNED = "assigned", _("已转让")
    LICENSED = "licensed", _("已许可")


class Listing(models.Model):
    """One offer on the exchange: a patent or a portfolio, one deal type, its terms and price."""

    organisation = models.ForeignKey(
        "marketplace.Organisation", verbose_name=_("挂牌机构"), on_delete=models.PROTECT, related_name="listings"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="listings_created"
    )
    #: the one-time token of the form that created it: the same form submitted again (back button, double click)
    #: finds this row instead of creating a second one
    submission_token = models.UUIDField(_("表单提交标识"), null=True, blank=True, unique=True, editable=False)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    patents = models.ManyToManyField(
        "listings.Patent", through="ListingPatent", related_name="listings", verbose_name=_("专利")
    )
    deal_type = models.CharField(_("交易方式"), max_length=20, choices=DealType.choices)
    licence_kind = models.CharField(_("许可类型"), max_length=20, choices=LicenceKind.choices, blank=True)
    territory = models.CharField(_("许可地域"), max_length=200, blank=True)
    field_of_use = models.CharField(_("使用领域"), max_length=200, blank=True)
    term_start = models.DateField(_("许可期限起"), null=True, blank=True)
    term_end = models.DateField(_("许可期限止"), null=True, blank=True)
    sublicensing_allowed = models.BooleanField(_("允许分许可"), default=False)
    price_amount = models.BigIntegerField(
        _("价格（分）"), null=True, blank=True, help_text=_("整数，单位为分；留空表示面议")
    )
    price_currency = models.CharField(_("币种"), max_length=3, default="CNY")
    royalty_rate_bps = models.PositiveIntegerField(
        _("提成费率（基点）"), null=True, blank=True, help_text=_("1 基点 = 0.01%")
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=ListingStatus.choices, default=ListingStatus.DRAFT, db_index=True
    )
    close_outcome = models.CharField(_("成交结果"), max_length=20, choices=CloseOutcome.choices, blank=True)
    counterparties = models.ManyToManyField(
        "marketplace.Organisation", verbose_name=_("洽谈方"), blank=True, related_name="negotiating_listings"
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, db_index=True)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-created_at", "-pk"]
        verbose_name = _("挂牌")
        verbose_name_plural = _("挂牌")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_amount__isnull=True) | models.Q(price_amount__gt=0),
                name="listing_price_positive_or_negotiable",
            ),
            models.CheckConstraint(
                condition=models.Q(royalty_rate_bps__isnull=True) | models.Q(royalty_rate_bps__lte=10000),
                name="listing_royalty_at_most_100_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("listings:listing-detail", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_draft(self) -> bool:
        return self.status == ListingStatus.DRAFT

    @property
    def is_awaiting_review(self) -> bool:
        """Submitted and not yet decided: the owner waits, the operator acts."""
        return self.status in (ListingStatus.SUBMITTED, ListingStatus.IN_REVIEW)

    @property
    def is_submitted(self) -> bool:
        """Submitted, review not yet started (the operator may start it)."""
        return self.status == ListingStatus.SUBMITTED

    @property
    def is_rejected(self) -> bool:
        return self.status == ListingStatus.REJECTED

    @property
    def is_portfolio(self) -> bool:
        return self.patents.count() > 1

    @property
    def price(self) -> Money | None:
        """The asking price, or ``None`` for 面议 (negotiable)."""
        if self.price_amount is None:
            return None
        return Money(int(self.price_amount), self.price_currency)

    @property
    def is_negotiable(self) -> bool:
        return self.price_amount is None

    @property
    def royalty_rate_display(self) -> str:
        if self.royalty_rate_bps is None:
            return ""
        whole, frac = divmod(self.royalty_rate_bps, 100)
        return f"{whole}.{frac:02d}%"


class ListingPatent(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="listing_patents")
    patent = models.ForeignKey("listings.Patent", on_delete=models.PROTECT, related_name="listing_links")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["listing", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["listing", "patent"], name="listing_patent_unique")]

    def __str__(self) -> str:
        return f"{self.listing_id}:{self.patent_id}"


class ListingTransition(TransitionRecord):
    subject_field = "listing"

    """One status change of a listing: the audit trail (who, when, why)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("原状态"), max_length=20, choices=ListingStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=20, choices=ListingStatus.choices)

    class Meta(TransitionRecord.Meta):
        verbose_name = _("挂牌状态变更")
        verbose_name_plural = _("挂牌状态变更")

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.from_status} → {self.to_status} ({self.action})"


def attachment_upload_to(instance: ListingAttachment, filename: str) -> str:
    """Stored under a random name: the uploader's file name never reaches the file system."""
    extension = PurePosixPath(filename).suffix.lower()
    return f"listings/{instance.listing_id}/{uuid.uuid4().hex}{extension}"


class AttachmentKind(models.TextChoices):
    IMAGE = "image", _("图片")
    DOCUMENT = "document", _("文件")
    AUTHORISATION = "authorisation", _("权利人授权书")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACCEPTED = "accepted", _("已核验")
    REJECTED = "rejected", _("未通过")


class ListingAttachment(models.Model):
    """An image, a document, or the patentee's authorisation for a lister who is not the patentee."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("类型"), max_length=20, choices=AttachmentKind.choices)
    patent = models.ForeignKey(
        "listings.Patent", verbose_name=_("授权涉及的专利"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("授权书：留空表示覆盖本挂牌的全部专利"),
    )
    file = models.FileField(_("文件"), upload_to=attachment_upload_to, max_length=300)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("检测到的类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    review_status = models.CharField(
        _("核验状态"), max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("核验意见"), blank=True)

    class Meta:
        ordering = ["listing", "kind", "uploaded_at", "pk"]
        verbose_name = _("挂牌附件")
        verbose_name_plural = _("挂牌附件")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def is_image(self) -> bool:
        return self.kind == AttachmentKind.IMAGE

    @property
    def is_authorisation(self) -> bool:
        return self.kind == AttachmentKind.AUTHORISATION

    @property
    def is_public(self) -> bool:
        """Images and documents of a public listing are public; an authorisation never is."""
        return self.kind != AttachmentKind.AUTHORISATION and self.listing.is_public
