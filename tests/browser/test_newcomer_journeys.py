"""Issue 9's "done when": a new patent holder and a new demand-side firm go from sign-up to a published listing /
demand in a real browser, guided by the site alone, on a desktop in Chinese (1366×900) and on a phone in English
(390×844).

Only the start page and the confirmation link in the e-mail are typed; every other page is reached by a link or a
button the user sees (the header, /me/'s first steps, the forms' own buttons), so the test proves the guidance leads
the way. The operator's part is played in the browser too (the review page: verify the organisation, confirm it as the patent's named applicant,
start the review, approve).

At every step: the site header and ``main`` are there, nothing is wider than the screen (measured against the
screen's width, as in test_pages_browser), the element clicked lies within the screen's width, and a screenshot is
saved as ``journey-<who>-<lang>-<size>-<step>.png`` in SCREENSHOT_DIR (default /tmp).
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from cms.services import ensure_site_pages
from listings.catalogue.models import Industry, Patentee
from listings.catalogue.services.patents import patentees_sync
from listings.demands.models import Demand
from listings.trading.models import Listing
from marketplace.models import Organisation
from tests.factories import IndustryFactory, IpcEntryFactory, PatentFactory, make_uscc

SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))
PASSWORD = "Ku8-journey-2024"
SIZES = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True},
}
#: (language, size): both sizes and both languages, each journey twice
RUNS = [("zh", "desktop"), ("en", "phone")]
HOLDER_ORG = "苏州纳米光电材料有限公司"
DEMAND_ORG = "杭州物联感知科技有限公司"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey_data(transactional_db, settings, live_server):
    settings.SITE_URL = live_server.url
    ensure_site_pages()
    operator = get_user_model().objects.create_user("operator-j", "op@example.cn", PASSWORD, is_staff=True)
    for code, zh, en in [("H04W4/02", "利用位置信息的业务", "Services making use of location information"),
                         ("H04W4/00", "专门适用于无线通信网络的业务", "Services specially adapted for wireless communication networks")]:
        IpcEntryFactory(code=code, title_zh=zh, title_en=en)
    IndustryFactory(code="SEI-1.5", scheme=Industry.Scheme.SEI2021, name_zh="人工智能",
                    name_en="Artificial intelligence", category="1 新一代信息技术产业")
    # the holder's patent names the company it will register as its applicant (as CNIPA's data does)
    patent = PatentFactory(title="一种量子点发光薄膜的制备方法", ipc=["H04W4/02"], applicants=[HOLDER_ORG])
    patentees_sync(applicants={patent.pk: [HOLDER_ORG]})
    applicant = Patentee.objects.get(name=HOLDER_ORG)
    mail.outbox.clear()
    return {"operator": operator, "patent": patent, "applicant": applicant}


class Journey:
    """One user's browser tab with the checks every step makes."""

    def __init__(self, browser, base: str, who: str, lang: str, size: str):
        self.context = browser.new_context(**SIZES[size], locale="zh-CN")
        self.page = self.context.new_page()
        self.base, self.who, self.lang, self.size = base, who, lang, size
        self.screen = SIZES[size]["viewport"]["width"]
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def step(self, name: str) -> None:
        """The site's layout is there, nothing is off-screen; then the screenshot."""
        page = self.page
        page.wait_for_load_state("load")
        label = f"{self.who}-{self.lang}-{self.size}-{name}"
        assert page.locator("header.site-header .brand").is_visible(), label
        assert page.locator("main#main").is_visible(), label
        assert page.locator("html").get_attribute("lang") == ("en" if self.lang == "en" else "zh-hans"), label
        sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= self.screen and sizes[1] <= self.screen, f"{label}: {sizes[0]} px wide on a {self.screen} px screen"
        page.screenshot(path=str(SCREENSHOT_DIR / f"journey-{label}.png"), full_page=True)

    def click(self, locator) -> None:
        """Click what the user sees, after checking it lies within the screen's width."""
        locator.scroll_into_view_if_needed()
        box = locator.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= self.screen, (self.who, box)
        locator.click()

    def nav(self, selector: str) -> None:
        """Follow a header link or button; on a phone the menu opens first."""
        target = self.page.locator(f"header.site-header {selector}").first
        if not target.is_visible():
            self.click(self.page.locator(".nav-toggle"))
        self.click(target)
        self.page.wait_for_load_state("load")

    def me(self) -> None:
        self.nav('.nav-links a[href="/me/"]')
        self.page.wait_for_url("**/me/")


def _start(journey: Journey) -> None:
    """The start page; an English reader switches the language with the header's button."""
    journey.page.goto(f"{journey.base}/")
    if journey.lang == "en":
        journey.nav('form.lang-switch button[value="en"]')
    journey.step("01-home")


def _sign_up_and_confirm(journey: Journey, username: str, email: str) -> None:
    page = journey.page
    journey.nav(".signup-link")
    page.wait_for_url("**/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=username]", username)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    journey.step("02-signup")
    journey.click(page.locator("main form button[type=submit]"))
    page.wait_for_url("**/me/")
    assert page.locator("#first-steps #step-organisation[aria-current=step]").is_visible()
    journey.step("03-me-first-steps")

    [message] = [m for m in mail.outbox if email in m.to]
    link = re.search(r"https?://\S+", message.body).group(0)
    assert link.startswith(f"{journey.base}/accounts/confirm-email/")
    page.goto(link)
    journey.step("04-confirm-email")
    journey.click(page.locator("main form button[type=submit]"))
    page.wait_for_load_state("load")
    journey.step("05-email-confirmed")
    from allauth.account.models import EmailAddress
    assert EmailAddress.objects.get(email=email).verified


def _register_organisation(journey: Journey, name: str, number: int, role: str) -> Organisation:
    page = journey.page
    journey.me()
    journey.click(page.locator("#step-organisation a.button"))
    code = make_uscc(number)
    page.fill("input[name=name]", name)
    page.fill("input[name=uscc]", f"{code[:4]} {code[4:10]} {code[10:]}")  # typed in groups, with spaces
    page.select_option("select[name=role]", role)
    journey.step("06-organisation-form")
    journey.click(page.locator("#organisation-form button[type=submit]"))
    page.wait_for_load_state("load")
    journey.step("07-organisation-registered")
    organisation = Organisation.objects.get(name=name)
    assert organisation.uscc == code and not organisation.is_verified
    journey.me()
    assert page.locator("#step-verification[aria-current=step]").is_visible()
    journey.step("08-me-waiting-for-verification")
    return organisation


def _operator(browser, base: str, who: str, lang: str, size: str) -> Journey:
    """The operator (of ``who``'s journey) signs in through the header and opens the review page from it."""
    operator = Journey(browser, base, f"operator-{who}", lang, size)
    _start(operator)
    operator.nav("a.login-link:not(.signup-link)")
    operator.page.fill("input[name=login]", "operator-j")
    operator.page.fill("input[name=password]", PASSWORD)
    operator.click(operator.page.locator("main form button[type=submit]"))
    operator.page.wait_for_url(f"{base}/")  # back where the login link was followed
    return operator


def _review(operator: Journey, item: str, name: str, clicks: int) -> None:
    """On the review page, press the row's first button ``clicks`` times (start the review, then approve)."""
    operator.nav('.nav-links a[href="/review/"]')
    operator.step(f"{name}-queue")
    for _ in range(clicks):
        row = operator.page.locator(item)
        operator.click(row.locator("form button[type=submit]").first)
        operator.page.wait_for_load_state("load")
    operator.step(f"{name}-done")


def _verified(journey: Journey, operator: Journey, organisation: Organisation) -> None:
    _review(operator, f'#queue-organisations [data-organisation="{organisation.pk}"]', "verify", 1)
    organisation.refresh_from_db()
    assert organisation.is_verified
    journey.me()
    assert journey.page.locator("#step-publish[aria-current=step]").is_visible()
    journey.step("09-me-verified")


@pytest.mark.parametrize(("lang", "size"), RUNS)
def test_a_new_holder_lists_a_patent(live_server, journey_data, browser, lang, size):
    base = live_server.url
    holder = Journey(browser, base, "holder", lang, size)
    page = holder.page
    _start(holder)
    _sign_up_and_confirm(holder, "suzhou-holder", "holder@example.cn")
    organisation = _register_organisation(holder, HOLDER_ORG, 880001, "holder")
    operator = _operator(browser, base, "holder", lang, size)
    _verified(holder, operator, organisation)
    # the review page now offers the company as the patent's named applicant: the operator confirms it
    applicant = journey_data["applicant"]
    row = operator.page.locator(f'#queue-patentees [data-patentee="{applicant.pk}"][data-organisation="{organisation.pk}"]')
    assert "1" in row.inner_text()  # one patent
    operator.click(row.locator("button[type=submit]"))
    operator.page.wait_for_load_state("load")
    operator.step("verify-patentee-confirmed")
    applicant.refresh_from_db()
    assert applicant.organisation_id == organisation.pk

    holder.click(page.locator("#step-publish a.button").first)  # "list a patent"
    page.wait_for_url("**/listings/new/")
    patent = journey_data["patent"]
    assert page.locator("#id_organisation").input_value() == str(organisation.pk)  # the only one, chosen
    page.fill("#id_title", "量子点发光薄膜制备方法专利转让")
    # the form offers the organisation's own patents: one click puts the number in the patents field
    holder.click(page.locator(f'#own-patents button[data-number="{patent.publication_number}"]'))
    assert page.locator("#id_patent_numbers").input_value() == patent.publication_number
    page.select_option("#id_deal_type", "assignment")
    page.fill("#id_price", "500000")
    holder.step("10-listing-form")
    holder.click(page.locator("#listing-form button[type=submit]"))
    page.wait_for_url(re.compile(r"/listings/\d+/(\?.*)?$"))  # not /listings/new/, the form's own page
    assert page.locator(".field-error").all_inner_texts() == []
    assert page.locator("#listing-next-step").is_visible()
    holder.step("11-listing-draft")
    holder.click(page.locator("#submit-listing"))
    page.wait_for_load_state("load")
    holder.step("12-listing-submitted")
    listing = Listing.objects.get(title="量子点发光薄膜制备方法专利转让")
    assert listing.status == "submitted"

    _review(operator, f'#queue-listings [data-listing="{listing.pk}"]', "approve-listing", 2)
    listing.refresh_from_db()
    assert listing.status == "published"

    holder.me()
    assert page.locator("#me-listings .tag-published").count() == 1
    assert not page.locator("#first-steps").is_visible()  # every step done
    holder.step("13-me-published")
    holder.nav('.nav-links a[href="/listings/"]')
    assert page.locator("main").get_by_role("link", name=listing.title).first.is_visible()
    holder.step("14-listing-board")
    assert holder.errors == [] and operator.errors == []
    holder.context.close()
    operator.context.close()


@pytest.mark.parametrize(("lang", "size"), RUNS)
def test_a_new_demand_side_firm_posts_a_demand(live_server, journey_data, browser, lang, size):
    base = live_server.url
    firm = Journey(browser, base, "demand", lang, size)
    page = firm.page
    _start(firm)
    _sign_up_and_confirm(firm, "hangzhou-firm", "firm@example.cn")
    organisation = _register_organisation(firm, DEMAND_ORG, 880002, "demand")
    operator = _operator(browser, base, "demand", lang, size)
    _verified(firm, operator, organisation)

    firm.click(page.locator('#step-publish a.button[href="/demands/new/"]'))  # "post a demand"
    page.wait_for_url("**/demands/new/")
    assert page.locator("#id_organisation").input_value() == str(organisation.pk)
    title = "寻求基于位置的推送技术" if lang == "zh" else "Location-based push for field service"
    page.fill("#id_title", title)
    page.fill("#id_problem", "需要根据用户位置推送服务的低功耗方案。")
    # IPC: words of the title find the code in the scheme
    page.locator("#row-ipc_codes .ts-control input").fill("位置" if lang == "zh" else "location")
    option = page.locator(".ts-dropdown .option", has_text="H04W 4/02")
    option.wait_for()
    firm.click(option)
    assert page.locator("#id_ipc_codes").input_value() == "H04W4/02"
    # industry: a word of its name
    page.locator("#row-industries .ts-control input").fill("人工" if lang == "zh" else "Artificial")
    industry = page.locator(".ts-dropdown .option", has_text="人工智能" if lang == "zh" else "Artificial intelligence")
    industry.wait_for()
    firm.click(industry)
    firm.click(page.locator("h1"))  # leave the picker: its dropdown closes
    page.locator(".ts-dropdown .option").first.wait_for(state="hidden")
    licence = page.locator("#id_deal_types_1")
    for _attempt in range(3):  # the first click may land while the picker that just closed settles its layout
        if licence.is_checked():
            break
        firm.click(licence)
    assert licence.is_checked()
    page.fill("#id_deadline", (timezone.localdate() + dt.timedelta(days=60)).isoformat())
    firm.step("10-demand-form")
    firm.click(page.locator("#demand-form button[type=submit]"))
    page.wait_for_url(re.compile(r"/demands/\d+/(\?.*)?$"))  # not /demands/new/, the form's own page
    assert page.locator(".field-error").all_inner_texts() == []
    firm.step("11-demand-draft")
    firm.click(page.locator('main form[action$="/submit/"] button[type=submit]'))
    page.wait_for_load_state("load")
    firm.step("12-demand-submitted")
    demand = Demand.objects.get(title=title)
    assert demand.status == "submitted" and demand.ipc_codes == ["H04W4/02"]
    assert list(demand.industries.values_list("code", flat=True)) == ["SEI-1.5"]

    _review(operator, f'#queue-demands [data-demand="{demand.pk}"]', "approve-demand", 2)
    demand.refresh_from_db()
    assert demand.status == "published"

    firm.me()
    assert page.locator("#me-demands .tag-published").count() == 1
    firm.step("13-me-published")
    firm.nav('.nav-links a[href="/demands/"]')
    assert page.locator("main").get_by_role("link", name=title).first.is_visible()
    # the industry filter's chosen item ("全部" / "All") stays whole on one line, no taller than the zone select
    chosen = page.locator('.filters select[name="industry"] + .ts-wrapper .ts-control > .item')
    chosen.wait_for()
    assert chosen.bounding_box()["height"] <= page.locator('.filters select[name="zone"]').bounding_box()["height"]
    assert chosen.evaluate("el => el.scrollWidth <= el.clientWidth")  # and whole, not cut to "全…"
    firm.step("14-demand-board")
    assert firm.errors == [] and operator.errors == []
    firm.context.close()
    operator.context.close()
