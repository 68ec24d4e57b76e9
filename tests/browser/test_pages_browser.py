"""The exchange as people meet it: every page a new holder or demand-side firm sees, at desktop (1366×900) and phone
(390×844) size, in Chinese and English, with a screenshot each and nothing off-screen.

For each page: no horizontal overflow (``scrollWidth`` and ``innerWidth`` within the screen's width), and the page's own layout (the header and
``main``) is there. Then the particular checks of issue 9: the bell menu inside the phone screen and its long titles
ellipsised on a desktop; search results above the folded facets on a phone; the demand form's pickers (an IPC code
found by a Chinese word, a SEI industry by a word of its name) posting a demand.

Screenshots go to SCREENSHOT_DIR (default /tmp) as ``pages-<page>-<lang>-<device>.png``. Same skip/fail rule as
test_site_browser: skipped locally without /usr/bin/chromium, failed in CI.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from cms.services import ensure_site_pages
from listings.catalogue.fixtures_data import zone_directory as directory
from listings.catalogue.models import Industry
from listings.demands import services as demand_services
from listings.demands.models import Demand
from listings.trading.models import DealType
from listings.trading.services import editing
from listings.trading.services import lifecycle as listing_services
from marketplace.kernel.money import Money
from marketplace.models import Membership, Notification, Organisation
from tests.factories import IndustryFactory, IpcEntryFactory, PatentFactory, ServiceAgencyFactory, build_zone_db

SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))
DEVICES = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True},
}
LONG_TITLE = "您的挂牌“一种基于位置的移动服务推送方法及其在智慧城市交通调度系统中的应用专利组合转让”已通过审核并在挂牌大厅发布"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pages_data(transactional_db):
    data = build_zone_db()
    zgc = data["zones"]["Z1"]
    for code, zh, en in [("H04W4/02", "利用位置信息的业务", "Services making use of location information"),
                         ("H04W4/00", "专门适用于无线通信网络的业务", "Services specially adapted for wireless communication networks")]:
        IpcEntryFactory(code=code, title_zh=zh, title_en=en)
    ai = IndustryFactory(code="SEI-1.5", scheme=Industry.Scheme.SEI2021, name_zh="人工智能",
                         name_en="Artificial intelligence", category="1 新一代信息技术产业")
    ServiceAgencyFactory(
        name="中关村知识产权运营服务中心", zone=zgc,
        contact="电话 010-62345678 邮箱 zhongguancun-ip-operations-service-centre@ip-operations-example.org.cn",
    )
    exchange = directory.SERVICE_FIRMS["天津滨海国际知识产权交易所有限公司"]  # the longest service names of the seed
    ServiceAgencyFactory(name="天津滨海国际知识产权交易所有限公司", services=exchange["services"],
                         description=exchange["description"], contact=exchange["contact"])
    user = get_user_model().objects.create_user("newcomer", "newcomer@example.cn", "pw-Pages-123456", is_staff=True)
    holder_org = Organisation.objects.create(name="北京移动科技有限公司", kind=Organisation.Kind.ENTERPRISE,
                                             is_verified=True, verified_at=timezone.now())
    demand_org = Organisation.objects.create(name="杭州物联感知科技有限公司", kind=Organisation.Kind.ENTERPRISE,
                                             is_verified=True, verified_at=timezone.now())
    Membership.objects.create(user=user, organisation=holder_org, role=Membership.Role.HOLDER)
    Membership.objects.create(user=user, organisation=demand_org, role=Membership.Role.DEMAND)
    published = PatentFactory(title="一种移动终端定位数据压缩方法", ipc=["H04W4/02"], zones=[zgc], year=2019)
    pending = PatentFactory(title="一种基站节能调度方法", ipc=["H04W52/02"], zones=[zgc], year=2019)
    published.holders.add(holder_org)
    pending.holders.add(holder_org)
    listing = editing.listing_create(organisation=holder_org, by=user, title="移动终端定位数据压缩专利转让",
                                     patents=[published], deal_type=DealType.ASSIGNMENT, price=Money.parse("500000"))
    listing_services.listing_submit(listing=listing, by=user)
    listing_services.listing_review_start(listing=listing, by=user)
    listing_services.listing_approve(listing=listing, by=user, reason="材料齐全")
    waiting = editing.listing_create(organisation=holder_org, by=user, title="基站节能调度方法专利转让",
                                     patents=[pending], deal_type=DealType.ASSIGNMENT, price=None)
    listing_services.listing_submit(listing=waiting, by=user)
    demand = demand_services.demand_create(
        organisation=demand_org, by=user, title="寻求视觉检测算法", problem="产线上的缺陷检测误报率高。",
        industries=[ai], ipc_codes=[], deal_types=[DealType.LICENCE], deadline=timezone.localdate() + dt.timedelta(days=60),
    )
    demand_services.demand_submit(demand=demand, by=user)
    demand_services.demand_review_start(demand=demand, by=user)
    demand_services.demand_approve(demand=demand, by=user)
    long_title_en = "Your listing " + "“Location-based push service patent portfolio” " * 3 + "is published"
    Notification.objects.create(recipient=user, verb="listing.published", title=LONG_TITLE,
                                title_text={"lit": {"zh-hans": LONG_TITLE, "en": long_title_en}},
                                url=listing.get_absolute_url())
    ensure_site_pages()
    return {**data, "user": user, "patent": published, "ai": ai}


def _context(browser, live_server, user, device: str, lang: str):
    client = Client()
    client.force_login(user)
    context = browser.new_context(**DEVICES[device], locale="zh-CN")
    host = live_server.url.split("://", 1)[1].split(":")[0]
    cookies = [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"}]
    if lang == "en":
        cookies.append({"name": "django_language", "value": "en", "domain": host, "path": "/"})
    context.add_cookies(cookies)
    return context


def _fits(page, label: str) -> None:
    # against the screen's own width: a mobile browser widens its layout viewport (and innerWidth) to overflowing
    # content, so innerWidth alone would hide the overflow
    screen = page.viewport_size["width"]
    sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= screen and sizes[1] <= screen, f"{label}: {sizes[0]} px wide on a {screen} px screen"
    assert page.locator("header.site-header").is_visible() and page.locator("main#main").is_visible()


def _pages(data) -> list[tuple[str, str]]:
    return [
        ("home", "/"), ("patents", "/patents/"), ("search", "/search/?q=%E6%97%A0%E7%BA%BF"),
        ("patent", data["patent"].get_absolute_url()), ("listings", "/listings/"), ("demands", "/demands/"),
        ("agencies", "/agencies/"), ("listing-form", "/listings/new/"), ("demand-form", "/demands/new/"),
        ("review", "/review/"),
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_every_page_fits_its_screen(live_server, pages_data, browser, device, lang):
    context = _context(browser, live_server, pages_data["user"], device, lang)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for name, path in _pages(pages_data):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, f"{name}: {response and response.status}"
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == ("en" if lang == "en" else "zh-hans")
        _fits(page, f"{name} ({device}, {lang})")
        page.screenshot(path=str(SCREENSHOT_DIR / f"pages-{name}-{lang}-{device}.png"), full_page=True)
    assert errors == []
    context.close()


def test_the_bell_menu_stays_on_the_phone_screen(live_server, pages_data, browser):
    context = _context(browser, live_server, pages_data["user"], "phone", "zh")
    page = context.new_page()
    page.goto(f"{live_server.url}/listings/")
    page.get_by_role("button", name="菜单").click()
    page.locator(".zp-bell-button").click()
    menu = page.locator("#zp-bell-menu")
    menu.wait_for(state="visible")
    box = menu.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    _fits(page, "bell menu (phone)")
    page.screenshot(path=str(SCREENSHOT_DIR / "pages-bell-zh-phone.png"))
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_long_bell_titles_end_in_an_ellipsis_on_a_desktop(live_server, pages_data, browser, lang):
    context = _context(browser, live_server, pages_data["user"], "desktop", lang)
    page = context.new_page()
    page.goto(f"{live_server.url}/demands/")
    page.locator(".zp-bell-button").click()
    page.locator("#zp-bell-menu").wait_for(state="visible")
    title = page.locator(".zp-bell-title").first
    clipped = title.evaluate(
        "el => [getComputedStyle(el).textOverflow, el.scrollWidth > el.clientWidth, el.getAttribute('title')]"
    )
    assert clipped[0] == "ellipsis" and clipped[1] is True and clipped[2]  # cut with "…", the whole title on hover
    box = page.locator("#zp-bell-menu").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1366
    page.screenshot(path=str(SCREENSHOT_DIR / f"pages-bell-{lang}-desktop.png"))
    context.close()


def test_search_results_come_before_the_folded_facets_on_a_phone(live_server, pages_data, browser):
    context = _context(browser, live_server, pages_data["user"], "phone", "zh")
    page = context.new_page()
    page.goto(f"{live_server.url}/search/?q=%E6%97%A0%E7%BA%BF")
    first_hit = page.locator(".zs-hit").first
    first_hit.wait_for()
    facet_list = page.locator("#zs-facets aside")
    assert not facet_list.is_visible()  # folded behind its toggle
    assert first_hit.bounding_box()["y"] < 844  # the first result is on the first screen
    page.locator(".zs-facets__toggle").click()
    assert facet_list.is_visible()
    _fits(page, "search facets open (phone)")
    page.screenshot(path=str(SCREENSHOT_DIR / "pages-search-facets-zh-phone.png"), full_page=True)

    desktop = _context(browser, live_server, pages_data["user"], "desktop", "zh").new_page()
    desktop.goto(f"{live_server.url}/search/?q=%E6%97%A0%E7%BA%BF")
    assert desktop.locator("#zs-facets aside").is_visible()  # beside the results, no toggle
    assert not desktop.locator(".zs-facets__toggle").is_visible()
    context.close()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_demand_form_pickers_post_a_demand(live_server, pages_data, browser, device):
    context = _context(browser, live_server, pages_data["user"], device, "zh")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/demands/new/")
    page.select_option("#id_organisation", label="杭州物联感知科技有限公司")
    page.fill("#id_title", "寻求基于位置的推送技术")
    page.fill("#id_problem", "需要根据用户位置推送服务的低功耗方案。")

    # IPC: a Chinese word finds the code in the IPC scheme
    ipc = page.locator("#row-ipc_codes .ts-control input")
    ipc.fill("位置")
    option = page.locator(".ts-dropdown .option", has_text="利用位置信息的业务")
    option.wait_for()
    assert "H04W 4/02" in option.inner_text()
    option.click()
    assert page.locator("#id_ipc_codes").input_value() == "H04W4/02"

    # industries: all 48 could be here, grouped; a word of the name finds one
    industries = page.locator("#row-industries .ts-control input")
    industries.fill("人工")
    page.locator(".ts-dropdown .option", has_text="人工智能").click()
    assert page.locator("#id_industries option:checked").all_inner_texts() == ["人工智能"]
    page.locator("h1").click()  # leave the picker: its dropdown closes
    page.locator(".ts-dropdown .option").first.wait_for(state="hidden")
    _fits(page, f"demand form with pickers ({device})")
    page.screenshot(path=str(SCREENSHOT_DIR / f"pages-demand-pickers-zh-{device}.png"), full_page=True)

    licence = page.locator("#id_deal_types_1")
    for _attempt in range(3):  # the first click may land while the picker that just closed still settles its layout
        if licence.is_checked():
            break
        licence.click()
    assert licence.is_checked()
    page.fill("#id_deadline", (timezone.localdate() + dt.timedelta(days=30)).isoformat())
    # not /demands/new/, the form's own page. A click may land while the closed picker still settles the
    # layout, or right after the date was typed, and submit nothing (about one run in three on CI; a short pause
    # before the click hides it): it is repeated only if no demand was created.
    created = re.compile(r"/demands/\d+/(\?.*)?$")
    for _attempt in range(3):
        page.locator("#demand-form button[type=submit]").click()
        try:
            page.wait_for_url(created, timeout=10_000)
            break
        except Exception as exc:  # playwright's TimeoutError (imported lazily, like the browser)
            if type(exc).__name__ != "TimeoutError":
                raise
            if Demand.objects.filter(title="寻求基于位置的推送技术").exists():
                page.wait_for_url(created)
                break
    assert created.search(page.url), page.url
    demand = Demand.objects.get(title="寻求基于位置的推送技术")
    assert demand.ipc_codes == ["H04W4/02"]
    assert list(demand.industries.values_list("code", flat=True)) == ["SEI-1.5"]
    assert errors == []
    context.close()
