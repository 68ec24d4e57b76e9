# ruff: noqa: F811 — the trading and deals fixtures are imported to be shared here; pytest injects them by name
"""Fixtures of the escrow suite: the trading and deals fixtures, a fee schedule, payee accounts, a deal walked to
a confirmed contract (so escrow opens), and helpers that fund and release it."""
from __future__ import annotations

import pytest

from escrow.settlement.models import Escrow, FeeSchedule, PayeeAccount
from listings.deals.services import contract, offers
from tests.listings.conftest import (  # noqa: F401  (fixtures)
    demand_org,
    demander,
    holder,
    holder_org,
    make_listing,
    operator,
    other_org,
    outsider,
    patent,
    publish,
    today,
)
from tests.listings.deals.conftest import listing, started, terms  # noqa: F401


@pytest.fixture
def fees(db):
    FeeSchedule.objects.create(deal_type="assignment", currency="CNY", bps=150, minimum_amount=100_000)
    FeeSchedule.objects.create(deal_type="licence", currency="CNY", bps=200, minimum_amount=50_000)


@pytest.fixture
def payees(holder_org, demand_org):
    PayeeAccount.objects.create(organisation=holder_org, bank_name="示例银行", bank_account_name=holder_org.name,
                                bank_account_number="6222000011112222", stripe_account="acct_seller123")
    PayeeAccount.objects.create(organisation=demand_org, bank_name="示例银行", bank_account_name=demand_org.name,
                                bank_account_number="6222000033334444", stripe_account="acct_buyer456")


@pytest.fixture
def confirm_contract(holder, demander, django_capture_on_commit_callbacks):
    def confirm(deal, *, offer_terms=None):
        offer = offers.offer_make(deal=deal, by=holder, terms=offer_terms or terms())
        offers.offer_accept(offer=offer, by=demander)
        deal.refresh_from_db()
        sha = contract.contract_sha256(deal)
        contract.contract_confirm(deal=deal, by=holder, text_sha256=sha)
        with django_capture_on_commit_callbacks(execute=True):
            contract.contract_confirm(deal=deal, by=demander, text_sha256=sha)
        deal.refresh_from_db()
        return Escrow.objects.get(deal=deal)

    return confirm


@pytest.fixture
def escrow(started, fees, payees, confirm_contract):
    """A ¥450,000 assignment in two milestones (签约 ¥150,000, 登记完成 ¥300,000), awaiting funding."""
    return confirm_contract(started)


@pytest.fixture
def single_escrow(started, fees, payees, confirm_contract):
    """The same assignment paid in one sum."""
    return confirm_contract(started, offer_terms=terms(milestones=[]))





@pytest.fixture
def fake_stripe(settings):
    """The fake Stripe API for this test; settings (and ``stripe.api_base``) point at it; no network."""
    import stripe

    from tests.escrow.fake_stripe import WEBHOOK_SECRET, FakeStripe, serve

    fake = FakeStripe()
    server = serve(fake)
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    previous, stripe.api_base = stripe.api_base, fake.url
    yield fake
    stripe.api_base = previous
    server.shutdown()
    server.server_close()
