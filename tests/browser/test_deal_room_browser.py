"""Two users negotiate live in two browser pages: each sees the other's offer arrive without reloading, one
accepts, both confirm the generated contract; screenshots at 1366×900 and 390×844 in Chinese and English.

The deal room needs WebSockets, so the pages talk to uvicorn serving the project's ASGI application in a thread
of this process (the same in-memory test database as pytest-django's live_server uses).
Same skip/fail rule as the other browser tests: skipped locally without chromium, failed in CI.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from listings.deals.models import DealStatus
from listings.deals.services import lifecycle
from listings.trading.services import editing
from listings.trading.services import lifecycle as listing_services
from marketplace.models import Membership, Organisation
from tests.factories import OperatorFactory, PatentFactory
from tests.listings.conftest import listing_kwargs

PASSWORD = "pw-Deals-123456"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_server(transactional_db):
    import uvicorn

    from marketplace.asgi import application

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture
def deal(transactional_db):
    users = get_user_model().objects
    seller_user = users.create_user("seller-b", "seller@example.cn", PASSWORD)
    buyer_user = users.create_user("buyer-b", "buyer@example.cn", PASSWORD)
    seller = Organisation.objects.create(name="苏州纳微新材料有限公司", uscc="91320594MA1MX0Q36K", is_verified=True,
                                         verified_at=timezone.now())
    buyer = Organisation.objects.create(name="杭州物联感知科技有限公司", uscc="91330106MA2CFQ8X3L", is_verified=True,
                                        verified_at=timezone.now())
    Membership.objects.create(user=seller_user, organisation=seller, role=Membership.Role.HOLDER)
    Membership.objects.create(user=buyer_user, organisation=buyer, role=Membership.Role.DEMAND)
    patent = PatentFactory(title="一种纳米银线透明导电膜的制备方法", ipc=["B82Y30/00"], holders=[seller])
    operator = OperatorFactory(username="operator-d")
    listing = editing.listing_create(organisation=seller, by=seller_user, patents=[patent], **listing_kwargs())
    listing_services.listing_submit(listing=listing, by=seller_user)
    listing_services.listing_review_start(listing=listing, by=operator)
    listing = listing_services.listing_approve(listing=listing, by=operator, reason="材料齐全")
    opened = lifecycle.deal_open_from_listing(listing=listing, by=buyer_user, buyer=buyer, deal_type="assignment",
                                              price_amount=40_000_000, message="希望了解授权情况")
    return lifecycle.deal_accept(deal=opened, by=seller_user)


def _login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def _offer(page, base, deal_id, *, price, milestones, message, answers=None):
    page.goto(f"{base}/deals/{deal_id}/offers/new/" + (f"?answers={answers}" if answers else ""))
    page.select_option("#id_deal_type", "assignment")
    page.fill("#id_price", price)
    page.fill("#id_milestones", milestones)
    page.fill("#id_message", message)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"**/deals/{deal_id}/")


def test_two_users_negotiate_live_then_both_confirm(asgi_server, deal, browser, tmp_path):
    base = asgi_server
    pages, errors = {}, []
    for who in ("seller-b", "buyer-b"):
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        pages[who] = context.new_page()
        pages[who].on("pageerror", lambda exc: errors.append(str(exc)))
        _login(pages[who], base, who)
    seller, buyer = pages["seller-b"], pages["buyer-b"]
    buyer.goto(f"{base}/deals/{deal.pk}/")
    buyer.wait_for_function("document.querySelectorAll('#room-messages li').length > 0")
    time.sleep(1)  # let the socket connect and catch up

    # The seller's offer appears in the buyer's open room without a reload, and vice versa for the counter.
    _offer(seller, base, deal.pk, price="450000", milestones="签约|150000|\n登记完成|300000|", message="首轮报价：45 万元")
    buyer.locator("#room-messages li.msg-offer", has_text="首轮报价").wait_for(timeout=15000)
    offer_id = deal.offers.get(version=1).pk
    seller.goto(f"{base}/deals/{deal.pk}/")
    time.sleep(1)
    _offer(buyer, base, deal.pk, price="420000", milestones="签约|120000|\n登记完成|300000|",
           message="还价：42 万元，首付 12 万", answers=offer_id)
    seller.locator("#room-messages li.msg-offer", has_text="还价：42 万元").wait_for(timeout=15000)

    # The seller accepts the counter-offer; the deal goes to the IP review (low risk: cleared).
    seller.reload()
    counter = deal.offers.get(version=2)
    seller.locator(f"#offer-{counter.pk} form[action$='/accept/'] button").click()
    seller.wait_for_load_state()
    deal.refresh_from_db()
    assert deal.status == DealStatus.IP_REVIEW

    # Both confirm the generated contract.
    for page in (seller, buyer):
        page.goto(f"{base}/deals/{deal.pk}/contract/")
        assert "专利权转让合同" in page.content()
        page.locator("form[action$='/contract/confirm/'] button").click()
        page.wait_for_load_state()
    deal.refresh_from_db()
    # both confirmations recorded; the confirmed contract opens the escrow at once (escrow/settlement)
    assert deal.confirmations.filter(voided_at__isnull=True).count() == 2
    assert deal.status == DealStatus.AWAITING_FUNDING

    # Screenshots: desktop and phone, Chinese and English (the language switch is a cookie).
    shots = []
    for lang in ("zh-hans", "en"):
        for width, height in ((1366, 900), (390, 844)):
            seller.set_viewport_size({"width": width, "height": height})
            seller.context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
            for name, url in (("room", f"/deals/{deal.pk}/"), ("contract", f"/deals/{deal.pk}/contract/")):
                seller.goto(f"{base}{url}")
                path = tmp_path / f"deal-{name}-{lang}-{width}x{height}.png"
                seller.screenshot(path=str(path), full_page=True)
                shots.append(path)
            overflow = seller.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{lang} {width}px: the contract page scrolls sideways by {overflow}px"
    seller.set_viewport_size({"width": 1366, "height": 900})
    seller.goto(f"{base}/deals/{deal.pk}/")
    assert "Deal room" in seller.content()  # the English msgstr is served after the switch
    assert all(p.stat().st_size > 10_000 for p in shots)
    print("screenshots:", *shots, sep="\n  ")
    assert errors == []
