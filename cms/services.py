"""Writes to the exhibition site's page tree.

``ensure_site_pages`` is what ``manage.py bootstrap`` calls after the zones are imported: it makes
the site exist (home, zone index, one page per zone, agency directory) and can be run any number
of times. Pages an operator already has are left as they are, words included.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page, Site

from cms.models import AgencyDirectoryPage, HomePage, ZoneIndexPage, ZonePage
from listings.catalogue.models import Zone

HOME_INTRO = (
    "<p>专利展示交易网汇集国家专利导航产业发展实验区的专利数据库、专利展示与交易服务。"
    "八个实验区各自聚焦一个产业，专利按实验区、产业和 IPC 分类检索。</p>"
)
HOME_INTRO_EN = (
    "<p>The patent exhibition and trading network brings together the patent database, exhibition and "
    "trading services of the national patent-navigation experimental zones. Each of the eight zones "
    "focuses on one industry; patents can be browsed by zone, industry and IPC class.</p>"
)
ZONES_INTRO = "<p>国家专利导航产业发展实验区及其主导产业、专利范围（IPC）与专利统计。</p>"
ZONES_INTRO_EN = "<p>The national patent-navigation experimental zones: industry, IPC scope and patent statistics.</p>"
AGENCIES_INTRO = "<p>为实验区提供专利代理、评估、运营、咨询与信息服务的机构。</p>"
AGENCIES_INTRO_EN = (
    "<p>Agencies serving the zones: patent attorneys, valuation, operation, consulting and information services.</p>"
)


@dataclass
class SitePages:
    home: HomePage
    zone_index: ZoneIndexPage
    agency_directory: AgencyDirectoryPage
    zone_pages: list[ZonePage]
    created: list[str] = field(default_factory=list)


def _publish(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision(log_action=False).publish(log_action=False)
    return page


def _root_page() -> Page:
    """The tree's root; a flushed database (transactional tests) has none and no locale either."""
    language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    Locale.objects.get_or_create(language_code=language)
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=Locale.get_default()))
    return root


def _ensure_home(root: Page, created: list[str]) -> HomePage:
    home = HomePage.objects.first()
    if home is not None:
        return home
    bare_page = ContentType.objects.get_for_model(Page)
    # Wagtail's "Welcome to your new Wagtail site!" page: same slug as ours, so move it aside first.
    welcome = [p for p in root.get_children().filter(content_type=bare_page) if p.numchild == 0]
    for page in welcome:
        page.slug = f"wagtail-welcome-{page.pk}"
        page.save(update_fields=["slug", "url_path"], clean=False)
    home = _publish(
        root,
        HomePage(title=settings.WAGTAIL_SITE_NAME, slug="home", intro=HOME_INTRO, intro_en=HOME_INTRO_EN),
    )
    created.append(f"home page {home.url_path}")
    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True,
            site_name=settings.WAGTAIL_SITE_NAME,
        )
    else:
        site.root_page = home
        site.site_name = site.site_name or settings.WAGTAIL_SITE_NAME
        site.save()
    for page in welcome:
        if not Site.objects.filter(root_page=page).exists():
            page.delete()
    return home


@transaction.atomic
def ensure_site_pages() -> SitePages:
    """Create whatever part of the site tree is missing; return the pages and what was created."""
    created: list[str] = []
    root = _root_page()
    home = _ensure_home(root, created)

    # The home page is the site root even when it already existed (someone may have re-pointed it).
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None and site.root_page_id != home.pk:
        site.root_page = home
        site.save()

    zone_index = ZoneIndexPage.objects.first()
    if zone_index is None:
        zone_index = _publish(
            home, ZoneIndexPage(title="实验区", slug="zones", intro=ZONES_INTRO, intro_en=ZONES_INTRO_EN)
        )
        created.append(f"zone index {zone_index.url_path}")

    zone_pages = []
    existing = {p.zone_id: p for p in ZonePage.objects.all()}
    for zone in Zone.objects.select_related("industry"):
        page = existing.get(zone.pk)
        if page is None:
            page = _publish(zone_index, ZonePage(title=zone.name_zh, slug=zone.slug, zone=zone))
            zone_index.refresh_from_db()
            created.append(f"zone page {page.url_path}")
        zone_pages.append(page)

    agency_directory = AgencyDirectoryPage.objects.first()
    if agency_directory is None:
        home.refresh_from_db()
        agency_directory = _publish(
            home,
            AgencyDirectoryPage(title="服务机构名录", slug="agencies", intro=AGENCIES_INTRO, intro_en=AGENCIES_INTRO_EN),
        )
        created.append(f"agency directory {agency_directory.url_path}")

    return SitePages(
        home=home, zone_index=zone_index, agency_directory=agency_directory, zone_pages=zone_pages, created=created
    )
