"""Accounts and first steps in a real browser (Debian's chromium via Playwright, against live_server).

A new member signs up, confirms the e-mail from the link in the mail the site sent (locmem backend, so the link
is read from ``mail.outbox``; it must start with ``SITE_URL``), lands on /me/ with the first steps, registers an
organisation with a USCC pasted with spaces, and, once an operator verifies it, is told to list or post next.
Then every account page (sign-up, login, password reset, /me/, the token page, the 404 page) is shot at
1366×900 and 390×844 in Chinese and English into SCREENSHOT_DIR (default /tmp): each has the site header and
nothing wider than the window.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core import mail

from marketplace import services as org_services
from marketplace.models import Organisation
from tests.factories import OperatorFactory, UserFactory, make_uscc

SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))
PASSWORD = "Ku8-suzhou-2024"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
LANGUAGES = {"zh": "zh-hans", "en": "en"}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page, name: str) -> None:
    """The site's header is there and nothing is wider than the window; then the screenshot."""
    assert page.locator("header.site-header").count() == 1, name
    assert page.locator("header.site-header .brand").is_visible(), name
    assert page.locator("form.lang-switch").count() == 1, name
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{name}: the page is {width}px wide in a {inner}px window"
    page.screenshot(path=str(SCREENSHOT_DIR / f"accounts-{name}.png"), full_page=True)


def test_sign_up_confirm_and_first_steps(live_server, browser, settings):
    from cms.services import ensure_site_pages

    ensure_site_pages()
    settings.SITE_URL = live_server.url
    mail.outbox.clear()
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server.url}/")
    page.locator("header .signup-link").click()
    page.wait_for_url("**/accounts/signup/")
    page.fill("input[name=email]", "zhang@example.cn")
    page.fill("input[name=username]", "zhangholder")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/me/")
    assert page.locator("#first-steps #step-organisation[aria-current=step]").is_visible()
    assert "个工作日内完成" in page.locator("#step-verification").inner_text()

    # the confirmation mail names the site and links to SITE_URL
    [message] = [m for m in mail.outbox if "zhang@example.cn" in m.to]
    assert message.subject.startswith("[专利展示交易网]")
    link = re.search(r"https?://\S+", message.body).group(0)
    assert link.startswith(f"{live_server.url}/accounts/confirm-email/")
    page.goto(link)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    from allauth.account.models import EmailAddress
    assert EmailAddress.objects.get(email="zhang@example.cn").verified

    # step 1: register the organisation, the USCC pasted with spaces and hyphens
    page.goto(f"{live_server.url}/me/")
    page.locator("#step-organisation a.button").click()
    code = make_uscc(777001)
    page.fill("input[name=name]", "苏州首步科技有限公司")
    page.fill("input[name=uscc]", f"{code[:4]} {code[4:10]}-{code[10:]}")
    page.select_option("select[name=role]", "holder")
    page.locator("#organisation-form button[type=submit]").click()
    page.wait_for_load_state()
    organisation = Organisation.objects.get(name="苏州首步科技有限公司")
    assert organisation.uscc == code

    # step 2: waiting for verification; an operator verifies; step 3 is next
    page.goto(f"{live_server.url}/me/")
    assert page.locator("#step-organisation.step-done").is_visible()
    assert page.locator("#step-verification[aria-current=step]").is_visible()
    org_services.organisation_verify(organisation=organisation, by=OperatorFactory())
    page.goto(f"{live_server.url}/me/")
    assert page.locator("#step-publish[aria-current=step]").is_visible()
    page.locator("#step-publish a.button").first.click()
    page.wait_for_url("**/listings/new/")
    assert not errors, errors
    context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_account_pages_fit_and_wear_the_layout(live_server, browser, viewport):
    UserFactory(username="shooter", email="shooter@example.cn", password=PASSWORD)
    for short, language in LANGUAGES.items():
        context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN")
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        suffix = f"{viewport}-{short}"

        page.goto(f"{live_server.url}/accounts/signup/")
        assert page.locator("html").get_attribute("lang") == language
        _fits(page, f"signup-{suffix}")
        page.goto(f"{live_server.url}/accounts/password/reset/")
        _fits(page, f"password-reset-{suffix}")
        response = page.goto(f"{live_server.url}/no-such-page/")
        assert response.status == 404 and page.locator("#error-404").is_visible()
        _fits(page, f"404-{suffix}")

        page.goto(f"{live_server.url}/accounts/login/")
        _fits(page, f"login-{suffix}")
        page.fill("input[name=login]", "shooter")
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/me/")
        assert page.locator("#member-home").is_visible() and page.locator("#first-steps").is_visible()
        _fits(page, f"me-{suffix}")

        page.goto(f"{live_server.url}/me/tokens/")
        page.fill("#token-name", f"ERP sync {short}")
        page.locator("#token-form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("#new-token-key").inner_text().startswith("zp_")
        _fits(page, f"tokens-{suffix}")
        assert not errors, errors
        context.close()
