"""The trading flow in a real browser: a holder lists a patent from its page, submits it, an operator
approves it, and the holder's notification bell counts the news.

pytest-django's live_server is a WSGI server, so the bell's WebSocket (/ws/notifications/) cannot
connect there: the count is checked after a reload, which renders it on the server. (Against the
ASGI server of ``manage.py serve`` the count also updates live, without a reload.)

Same skip/fail rule as test_site_browser: skipped locally without /usr/bin/chromium, failed in CI.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from listings.trading.models import Listing
from marketplace.models import Membership, Organisation
from tests.factories import PatentFactory

SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))
PASSWORD = "pw-Trading-123456"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def trading_data(transactional_db):
    users = get_user_model().objects
    operator = users.create_user("operator-b", "op@example.cn", PASSWORD, is_staff=True)
    holder = users.create_user("holder-b", "holder@example.edu.cn", PASSWORD)
    org = Organisation.objects.create(
        name="浙江大学技术转移中心", kind=Organisation.Kind.UNIVERSITY, uscc="12100000400000624D",
        is_verified=True, verified_at=timezone.now(),
    )
    Membership.objects.create(user=holder, organisation=org, role=Membership.Role.HOLDER)
    patent = PatentFactory(title="一种物联网设备的控制方法", ipc=["H04L67/12"])
    patent.holders.add(org)
    return {"operator": operator, "holder": holder, "org": org, "patent": patent}


def _login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def _unread(page) -> int:
    return int(page.locator(".zp-bell-count").get_attribute("data-unread"))


def test_holder_lists_operator_approves_bell_counts(live_server, trading_data, browser):
    base = live_server.url
    patent = trading_data["patent"]
    holder_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    holder = holder_ctx.new_page()
    errors: list[str] = []
    holder.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(holder, base, "holder-b")

    # The patent page offers "list this patent"; the form arrives with the patent and the only organisation chosen.
    holder.goto(f"{base}{patent.get_absolute_url()}")
    holder.locator("#list-this-patent").click()
    holder.wait_for_url("**/listings/new/**")
    assert holder.locator("#id_patent_numbers").input_value() == patent.publication_number
    assert holder.locator("#id_organisation").input_value() == str(trading_data["org"].pk)

    # Licence terms hide while "assignment" is chosen.
    holder.select_option("#id_deal_type", "assignment")
    assert not holder.locator("#row-territory").is_visible()
    holder.select_option("#id_deal_type", "licence")
    assert holder.locator("#row-territory").is_visible()

    # A malformed price is reported on the price field, in words a user can act on.
    holder.fill("#id_title", "物联网设备控制方法专利许可")
    holder.fill("#id_price", "30万")
    holder.locator("#listing-form button[type=submit]").click()
    holder.wait_for_load_state()
    assert "300000" in holder.locator('#row-price .field-error').inner_text()

    holder.select_option("#id_licence_kind", "non_exclusive")
    holder.fill("#id_price", "300000")
    holder.locator("#listing-form button[type=submit]").click()
    holder.wait_for_load_state()
    assert holder.locator(".field-error").all_inner_texts() == []
    holder.wait_for_url(re.compile(r"/listings/\d+/(\?.*)?$"))  # not /listings/new/, the form's own page
    assert holder.locator("#listing-next-step").is_visible()
    holder.locator("#submit-listing").click()
    holder.wait_for_load_state()
    listing = Listing.objects.get(title="物联网设备控制方法专利许可")
    assert listing.status == "submitted"
    before = _unread(holder)

    # The operator starts the review and approves it from the queue.
    operator_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    operator = operator_ctx.new_page()
    _login(operator, base, "operator-b")
    operator.goto(f"{base}/review/")
    item = operator.locator(f'#queue-listings [data-listing="{listing.pk}"]')
    item.get_by_role("button", name="开始审核").click()
    operator.wait_for_load_state()
    operator.locator(f'#queue-listings [data-listing="{listing.pk}"]').get_by_role("button", name="通过并发布").click()
    operator.wait_for_load_state()
    listing.refresh_from_db()
    assert listing.status == "published"

    # live_server has no WebSockets: reload, and the bell shows the new notifications.
    holder.reload()
    assert _unread(holder) > before
    holder.locator(".zp-bell-button").click()
    assert holder.locator(".zp-bell-menu").get_by_role("link", name="全部通知").is_visible()
    history = holder.locator("#listing-history").inner_text()
    assert "review_start" not in history and "审核开始" in history
    holder.screenshot(path=str(SCREENSHOT_DIR / "trading-listing-desktop.png"), full_page=True)

    # The published listing and its patent page at phone width, in English: nothing wider than the screen.
    phone_ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="en")
    phone = phone_ctx.new_page()
    _login(phone, base, "holder-b")
    phone.goto(f"{base}{listing.get_absolute_url()}")
    phone.locator(".nav-toggle").click()
    phone.get_by_role("button", name="English").click()
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "en"
    assert "Published" in phone.locator("#listing-status").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(SCREENSHOT_DIR / "trading-listing-phone-en.png"), full_page=True)
    phone.goto(f"{base}{patent.get_absolute_url()}")
    assert phone.locator("#patent-listings").get_by_role("link", name=listing.title).is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []
    for ctx in (holder_ctx, operator_ctx, phone_ctx):
        ctx.close()
