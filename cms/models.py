"""The Wagtail page tree of the exhibition site (专利展示交易网).

Operators edit the words (titles, introductions); every number on these pages is counted live
from the zone patent database when the page is served, so nothing goes stale.
"""
from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page, PageManager

from cms import selectors as cms_selectors
from listings.catalogue import selectors as listing_selectors
from listings.catalogue.models import Zone
from listings.catalogue.selectors import PatentFilters


def _english() -> bool:
    return (get_language() or "").lower().startswith("en")


class BilingualIntroMixin(models.Model):
    """A Chinese introduction with an optional English one shown when the visitor switched to English."""

    intro = RichTextField(_("简介（中文）"), blank=True)
    intro_en = RichTextField(_("简介（英文）"), blank=True)

    class Meta:
        abstract = True

    @property
    def localised_intro(self) -> str:
        return (self.intro_en or self.intro) if _english() else self.intro


INTRO_PANELS = [FieldPanel("intro"), FieldPanel("intro_en")]


class HomePage(BilingualIntroMixin, Page):
    """The site root: the eight zones with live patent counts and a chart of patents per zone."""

    objects: ClassVar[PageManager[HomePage]]

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    content_panels = Page.content_panels + INTRO_PANELS

    class Meta:
        verbose_name = _("首页")
        verbose_name_plural = _("首页")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        zones = listing_selectors.zone_counts()
        zone_pages = {p.zone_id: p for p in ZonePage.objects.live().filter(zone__in=zones)}
        for zone in zones:
            zone.page = zone_pages.get(zone.pk)
        context["zones"] = zones
        context["totals"] = listing_selectors.database_totals()
        context["in_force_total"] = cms_selectors.in_force_total()
        context["zone_chart"] = {
            # Short axis labels: the Chinese short name, or the city (first word of the slug) in English.
            "labels": [
                (z.slug.split("-")[0].title() if _english() else (z.short_name_zh or z.name)) for z in zones
            ],
            "total": [z.patent_count for z in zones],
            "in_force": [z.in_force_count for z in zones],
        }
        context["zone_index"] = ZoneIndexPage.objects.live().first()
        context["agency_directory"] = AgencyDirectoryPage.objects.live().first()
        return context


class ZoneIndexPage(BilingualIntroMixin, Page):
    """实验区: the list of experimental zones, one child page each."""

    objects: ClassVar[PageManager[ZoneIndexPage]]

    max_count = 1
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ZonePage"]
    content_panels = Page.content_panels + INTRO_PANELS

    class Meta:
        verbose_name = _("实验区目录")
        verbose_name_plural = _("实验区目录")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        counts = {z.pk: z for z in listing_selectors.zone_counts()}
        pages = list(ZonePage.objects.live().child_of(self).select_related("zone__industry"))
        pages.sort(key=lambda p: (p.zone.position, p.zone.code))
        for page in pages:
            counted = counts.get(page.zone_id)
            page.patent_count = counted.patent_count if counted else 0
            page.in_force_count = counted.in_force_count if counted else 0
        context["zone_pages"] = pages
        return context


class ZonePage(BilingualIntroMixin, Page):
    """One experimental zone: park, industry, IPC scope, live counts and patent maps."""

    objects: ClassVar[PageManager[ZonePage]]

    zone = models.ForeignKey(
        "listings.Zone", verbose_name=_("实验区"), on_delete=models.PROTECT, related_name="cms_pages"
    )
    park_name = models.CharField(
        _("园区名称"), max_length=200, blank=True, help_text=_("留空则显示实验区的正式名称")
    )

    parent_page_types = ["cms.ZoneIndexPage"]
    subpage_types: list[str] = []
    content_panels = Page.content_panels + [FieldPanel("zone"), FieldPanel("park_name")] + INTRO_PANELS

    class Meta:
        verbose_name = _("实验区页面")
        verbose_name_plural = _("实验区页面")

    def clean(self):
        super().clean()
        if self.zone_id and ZonePage.objects.filter(zone_id=self.zone_id).exclude(pk=self.pk).exists():
            raise ValidationError({"zone": _("该实验区已有页面")})

    @property
    def display_park_name(self) -> str:
        if self.park_name and not _english():
            return self.park_name
        return self.zone.name

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        stats = cms_selectors.zone_stats(zone=self.zone)
        context["zone"] = self.zone
        context["industry"] = self.zone.industry
        context["scope"] = cms_selectors.zone_scope(zone=self.zone)
        context["stats"] = stats
        context["subclass_chart"] = {
            "labels": [code for code, _title, _n in stats.by_subclass],
            "titles": [title for _code, title, _n in stats.by_subclass],
            "counts": [n for _code, _title, n in stats.by_subclass],
        }
        context["year_chart"] = {
            "labels": [str(year) for year, _n in stats.by_year],
            "counts": [n for _year, n in stats.by_year],
        }
        patent_map = cms_selectors.patent_map(filters=PatentFilters(zone=self.zone.code))
        context["patent_map"] = patent_map
        context["patent_map_charts"] = patent_map.charts()
        return context


class AgencyDirectoryPage(BilingualIntroMixin, Page):
    """服务机构名录: the service agencies of the zones and what each offers."""

    objects: ClassVar[PageManager[AgencyDirectoryPage]]

    max_count = 1
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    content_panels = Page.content_panels + INTRO_PANELS

    class Meta:
        verbose_name = _("服务机构名录")
        verbose_name_plural = _("服务机构名录")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        zone = (request.GET.get("zone") or "").strip()
        context["zones"] = list(Zone.objects.all())
        context["selected_zone"] = zone
        context["agencies"] = list(cms_selectors.service_agencies(zone=zone))
        return context
