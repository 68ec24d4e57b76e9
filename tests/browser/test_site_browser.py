"""The exhibition site in a real browser: Debian's chromium driven by Playwright against live_server.

Locally the test skips (with the reason) when /usr/bin/chromium is missing; in CI (CI=true) it fails.
Screenshots of the home page at desktop and phone width are written to SCREENSHOT_DIR (default /tmp).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from cms.services import ensure_site_pages
from tests.factories import PatentFactory, ServiceAgencyFactory, build_zone_db

SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site_data(transactional_db):
    data = build_zone_db()
    zgc = data["zones"]["Z1"]
    # enough patents in one zone for two pages of results and a visible chart
    PatentFactory.create_batch(22, zones=[zgc], ipc=["H04W4/02"], year=2021)
    ServiceAgencyFactory(name="中关村知识产权运营服务中心", zone=zgc)
    ensure_site_pages()
    return data


def _result_count(page) -> int:
    return int(page.locator("#result-count").get_attribute("data-count"))


def test_home_language_switch_filters_and_detail(live_server, site_data, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Home: Chinese first, zones with their live counts, the ECharts chart drawn.
    page.goto(f"{live_server.url}/")
    assert page.locator("nav#site-nav").get_by_role("link", name="专利库").is_visible()
    assert page.locator('[data-zone="Z1"] .zone-count').inner_text() == "25"
    page.wait_for_selector('[data-chart="zone-bars"][data-rendered="true"] canvas')
    page.screenshot(path=str(SCREENSHOT_DIR / "site-home-desktop.png"), full_page=True)

    # Switch to English: the header and the page's words change, the data stays.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    nav = page.locator("nav#site-nav")
    assert nav.get_by_role("link", name="Patents").is_visible()
    assert nav.get_by_role("link", name="Zones").is_visible()
    assert page.get_by_role("heading", name="Patents per zone").is_visible()
    assert "Zhongguancun Science Park" in page.locator("#zone-cards").inner_text()

    # Patent list: filter by zone, then by kind; the count narrows each time.
    nav.get_by_role("link", name="Patents").click()
    page.wait_for_url("**/patents/")
    everything = _result_count(page)
    assert everything == 27
    page.select_option("#filter-zone", "Z8")
    page.locator("#filter-submit").click()
    page.wait_for_url("**zone=Z8**")
    assert _result_count(page) == 2
    page.select_option("#filter-kind", "design")
    page.locator("#filter-submit").click()
    page.wait_for_url("**kind=design**")
    assert _result_count(page) == 1
    assert page.locator("#patent-results .patent-item").count() == 1

    # Detail page from the filtered list: bibliographic fields and English IPC titles.
    page.locator("#patent-results .patent-item h3 a").first.click()
    page.wait_for_selector("#biblio")
    assert page.locator("#patent-title").inner_text() == "钛合金眼镜架"
    assert page.locator("#field-kind").inner_text() == "Design"
    assert page.locator("#field-expiry-date").inner_text().startswith("2037-03-15")

    zgc_patent = site_data["patents"][0]
    page.goto(f"{live_server.url}{zgc_patent.get_absolute_url()}")
    ipc = page.locator('#field-ipc .ipc-line[data-code="H04W4/02"]')
    assert "Services making use of location information" in ipc.inner_text()
    assert ipc.get_by_role("link", name="H04W 4/02").get_attribute("href") == "/search/?ipc=H04W4/02"

    # Back to Chinese for the phone-width check of the home page.
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert errors == []
    context.close()


def test_phone_layout_has_a_working_menu(live_server, site_data, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, locale="zh-CN",
                                  has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.wait_for_selector('[data-chart="zone-bars"][data-rendered="true"] canvas')

    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    nav_link = page.locator("nav#site-nav").get_by_role("link", name="专利库")
    assert not nav_link.is_visible()  # folded behind the menu button
    page.screenshot(path=str(SCREENSHOT_DIR / "site-home-phone.png"), full_page=True)

    page.get_by_role("button", name="菜单").click()
    assert nav_link.is_visible()
    page.screenshot(path=str(SCREENSHOT_DIR / "site-home-phone-menu.png"))
    nav_link.click()
    page.wait_for_url("**/patents/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _result_count(page) == 27
    page.screenshot(path=str(SCREENSHOT_DIR / "site-patents-phone.png"), full_page=True)

    page.goto(f"{live_server.url}{site_data['patents'][0].get_absolute_url()}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOT_DIR / "site-detail-phone.png"), full_page=True)
    context.close()
