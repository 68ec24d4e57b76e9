"""Technology demands (技术需求): a firm's problem, the field it looks in, budget and acceptable deals.

Same review discipline as listings: status moves only through ``listings.demands.services``, and
every move writes a ``DemandTransition``.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketplace.kernel.money import Money
from marketplace.kernel.records import TransitionRecord


class DemandStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    IN_REVIEW = "in_review", _("审核中")
    REJECTED = "rejected", _("退回修改")
    PUBLISHED = "published", _("已发布")
    CLOSED = "closed", _("已解决")
    WITHDRAWN = "withdrawn", _("已撤回")
    EXPIRED = "expired", _("已过期")
    SUSPENDED = "suspended", _("已暂停")


DEMAND_PUBLIC_STATUSES = (DemandStatus.PUBLISHED,)
DEMAND_EDITABLE_STATUSES = (DemandStatus.DRAFT, DemandStatus.REJECTED, DemandStatus.PUBLISHED)


class Visibility(models.TextChoices):
    PUBLIC = "public", _("公开")
    ANONYMOUS = "anonymous", _("对公众匿名")


class Demand(models.Model):
    organisation = models.ForeignKey(
        "marketplace.Organisation", verbose_name=_("需求方"), on_delete=models.PROTECT, related_name="demands"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="demands_created"
    )
    #: the one-time token of the form that created it: the same form submitted again (back button, double click)
    #: finds this row instead of creating a second one
    submission_token = models.UUIDField(_("表单提交标识"), null=True, blank=True, unique=True, editable=False)
    title = models.CharField(_("标题"), max_length=200)
    problem = models.TextField(_("待解决的技术问题"))
    ipc_codes = models.JSONField(_("IPC 分类"), default=list, blank=True, help_text=_("规范化的 IPC 分类号，任意层级"))
    industries = models.ManyToManyField(
        "listings.Industry", verbose_name=_("产业"), blank=True, related_name="demands"
    )
    zones = models.ManyToManyField("listings.Zone", verbose_name=_("实验区"), blank=True, related_name="demands")
    budget_min = models.BigIntegerField(_("预算下限（分）"), null=True, blank=True)
    budget_max = models.BigIntegerField(_("预算上限（分）"), null=True, blank=True)
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    deal_types = models.JSONField(_("可接受的交易方式"), default=list)
    deadline = models.DateField(_("截止日期"))
    visibility = models.CharField(_("公开方式"), max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    status = models.CharField(
        _("状态"), max_length=20, choices=DemandStatus.choices, default=DemandStatus.DRAFT, db_index=True
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-created_at", "-pk"]
        verbose_name = _("技术需求")
        verbose_name_plural = _("技术需求")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget_min__isnull=True)
                | models.Q(budget_max__isnull=True)
                | models.Q(budget_min__lte=models.F("budget_max")),
                name="demand_budget_min_le_max",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("listings:demand-detail", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.status in DEMAND_PUBLIC_STATUSES

    @property
    def is_anonymous(self) -> bool:
        return self.visibility == Visibility.ANONYMOUS

    @property
    def is_editable(self) -> bool:
        return self.status in DEMAND_EDITABLE_STATUSES

    @property
    def is_draft(self) -> bool:
        return self.status == DemandStatus.DRAFT

    @property
    def is_awaiting_review(self) -> bool:
        return self.status in (DemandStatus.SUBMITTED, DemandStatus.IN_REVIEW)

    @property
    def is_submitted(self) -> bool:
        return self.status == DemandStatus.SUBMITTED

    @property
    def has_matches(self) -> bool:
        """Matches are computed once a demand is published and kept when it is closed (solved)."""
        return self.status in (DemandStatus.PUBLISHED, DemandStatus.CLOSED)

    @property
    def budget_low(self) -> Money | None:
        return None if self.budget_min is None else Money(int(self.budget_min), self.currency)

    @property
    def budget_high(self) -> Money | None:
        return None if self.budget_max is None else Money(int(self.budget_max), self.currency)


class DemandTransition(TransitionRecord):
    subject_field = "demand"

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("原状态"), max_length=20, choices=DemandStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=20, choices=DemandStatus.choices)

    class Meta(TransitionRecord.Meta):
        verbose_name = _("需求状态变更")
        verbose_name_plural = _("需求状态变更")

    def __str__(self) -> str:
        return f"{self.demand_id}: {self.from_status} → {self.to_status} ({self.action})"
