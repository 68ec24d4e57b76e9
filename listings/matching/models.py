"""What matching leaves behind: the ranked matches of each demand, and the searches people save.

``DemandMatch`` rows are written only by ``listings.matching.services``; a recomputation keeps rows
that dropped out (``is_current=False``) so the same patent is never announced twice to a demand.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MatchSource(models.TextChoices):
    DEMAND = "demand", _("需求发布/修改时计算")
    LISTING = "listing", _("新挂牌反向匹配")


class DemandMatch(models.Model):
    """One patent (and, when listed, its best listing) matched to a demand, with the explanation."""

    demand = models.ForeignKey("listings.Demand", on_delete=models.CASCADE, related_name="matches")
    patent = models.ForeignKey("listings.Patent", on_delete=models.CASCADE, related_name="demand_matches")
    listing = models.ForeignKey(
        "listings.Listing", null=True, blank=True, on_delete=models.SET_NULL, related_name="demand_matches"
    )
    score = models.FloatField(_("匹配度"))
    rank = models.PositiveSmallIntegerField(_("排名"), default=0)
    explanation = models.JSONField(_("匹配说明"), default=dict)
    source = models.CharField(max_length=10, choices=MatchSource.choices, default=MatchSource.DEMAND)
    is_current = models.BooleanField(_("当前有效"), default=True, db_index=True)
    first_matched_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(_("计算时间"))
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)

    class Meta:
        ordering = ["demand", "-score", "patent_id"]
        verbose_name = _("需求匹配")
        verbose_name_plural = _("需求匹配")
        constraints = [models.UniqueConstraint(fields=["demand", "patent"], name="demand_match_unique")]
        indexes = [models.Index(fields=["demand", "is_current", "-score"], name="demand_match_current")]

    def __str__(self) -> str:
        return f"{self.demand_id} ↔ {self.patent_id} ({self.score:.2f})"

    @property
    def parts(self) -> list[dict]:
        return list(self.explanation.get("parts", []))


class SavedSearchScope(models.TextChoices):
    PATENTS = "patents", _("专利检索")
    LISTINGS = "listings", _("挂牌")


class AlertFrequency(models.TextChoices):
    HOURLY = "hourly", _("每小时")
    DAILY = "daily", _("每天")
    WEEKLY = "weekly", _("每周")
    NEVER = "never", _("不提醒")


class SavedSearch(models.Model):
    """A query of ``/search/`` or ``/listings/`` someone wants to be told about when new hits appear."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(_("名称"), max_length=100)
    scope = models.CharField(_("范围"), max_length=10, choices=SavedSearchScope.choices, default=SavedSearchScope.PATENTS)
    params = models.JSONField(_("检索条件"), default=dict, blank=True)
    frequency = models.CharField(
        _("提醒频率"), max_length=10, choices=AlertFrequency.choices, default=AlertFrequency.DAILY
    )
    #: ids already seen (at saving, or alerted since); a hit outside this set is new
    seen_ids = models.JSONField(default=list, blank=True, editable=False)
    last_alerted_at = models.DateTimeField(_("上次提醒"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("上次检查"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "-created_at", "-pk"]
        verbose_name = _("保存的检索")
        verbose_name_plural = _("保存的检索")
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_search_unique_name")]

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"
