"""Deal services: the lifecycle, offers and their refusals, the listing following its deals, review, contract."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from listings.catalogue.models import Encumbrance
from listings.deals.models import DealStatus, DealTransition, OfferStatus, ReviewState, RiskLevel
from listings.deals.selectors import offer_diff
from listings.deals.services import contract, lifecycle, offers, parties, review
from listings.trading.models import ListingStatus
from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.statemachine import IllegalTransition
from tests.listings.deals.conftest import terms
from tests.listings.trading.helpers import breaks


def test_enquiry_accept_puts_listing_under_negotiation(started, listing):
    listing.refresh_from_db()
    assert started.status == DealStatus.NEGOTIATING
    assert listing.status == ListingStatus.UNDER_NEGOTIATION
    assert list(DealTransition.objects.filter(deal=started).values_list("action", flat=True)) == ["open", "accept"]
    assert list(started.messages.values_list("seq", flat=True)) == [1, 2]


def test_only_the_receiver_accepts_and_outsiders_cannot(listing, demander, demand_org, outsider):
    deal = lifecycle.deal_open_from_listing(listing=listing, by=demander, buyer=demand_org, deal_type="assignment")
    with pytest.raises(NotPermitted):
        lifecycle.deal_accept(deal=deal, by=demander)
    with pytest.raises(NotPermitted):
        lifecycle.deal_accept(deal=deal, by=outsider)
    deal.refresh_from_db()
    assert deal.status == DealStatus.ENQUIRY


def test_opening_refusals(listing, demander, demand_org, holder, holder_org):
    with breaks("deal_type", "deal_type_mismatch"):
        lifecycle.deal_open_from_listing(listing=listing, by=demander, buyer=demand_org, deal_type="licence", licence_kind="sole")
    with breaks("price_amount", "amount_out_of_range"):
        lifecycle.deal_open_from_listing(listing=listing, by=demander, buyer=demand_org, deal_type="assignment", price_amount=2**53)
    with pytest.raises(NotPermitted):
        lifecycle.deal_open_from_listing(listing=listing, by=holder, buyer=holder_org, deal_type="assignment")
    lifecycle.deal_open_from_listing(listing=listing, by=demander, buyer=demand_org, deal_type="assignment")
    with breaks("listing", "deal_exists"):
        lifecycle.deal_open_from_listing(listing=listing, by=demander, buyer=demand_org, deal_type="assignment")


@pytest.mark.parametrize("change, field, rule", [
    ({"price_amount": -1}, "price_amount", "amount_out_of_range"),
    ({"price_amount": 2**53}, "price_amount", "amount_out_of_range"),
    ({"price_amount": 1.5}, "price_amount", "amount_out_of_range"),
    ({"milestones": [{"label": "签约", "amount": 1, "due": ""}]}, "milestones", "milestones_sum_mismatch"),
    ({"royalty_bps": 300}, "royalty_bps", "royalty_not_applicable"),
    ({"licence_kind": "exclusive"}, "licence_kind", "licence_kind_not_applicable"),
    ({"deal_type": "licence", "licence_kind": ""}, "deal_type", "deal_type_mismatch"),
    ({"expires_at": timezone.now() - dt.timedelta(minutes=1)}, "expires_at", "expires_in_past"),
])
def test_inconsistent_offers_are_refused_with_the_field_named(started, holder, change, field, rule):
    with breaks(field, rule):
        offers.offer_make(deal=started, by=holder, terms=terms(**change))
    assert not started.offers.exists()


def test_counter_offer_shows_its_diff_and_supersedes(started, holder, demander):
    first = offers.offer_make(deal=started, by=holder, terms=terms())
    counter = offers.offer_make(deal=started, by=demander, answers=first, terms=terms(
        price_amount=40_000_000, milestones=[{"label": "签约", "amount": 40_000_000, "due": ""}]))
    first.refresh_from_db()
    assert first.status == OfferStatus.SUPERSEDED
    assert {d["field"] for d in offer_diff(counter)} == {"price_amount", "milestones", "expires_at"} - (
        set() if counter.expires_at != first.expires_at else {"expires_at"})
    with breaks("offer", "offer_superseded"):
        offers.offer_accept(offer=first, by=demander)
    with pytest.raises(NotPermitted):
        offers.offer_accept(offer=counter, by=demander)  # own side


def test_expired_offer_cannot_be_accepted(started, holder, demander):
    offer = offers.offer_make(deal=started, by=holder, terms=terms())
    type(offer).objects.filter(pk=offer.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with breaks("offer", "offer_expired"):
        offers.offer_accept(offer=offer, by=demander)
    offer.refresh_from_db()
    started.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED and started.status == DealStatus.NEGOTIATING


def test_suspended_listing_or_encumbrance_blocks_acceptance(started, listing, holder, demander, operator, patent):
    offer = offers.offer_make(deal=started, by=holder, terms=terms())
    Encumbrance.objects.create(patent=patent, kind="pledge", active=True, registered_at=timezone.now())
    with breaks("patents", "patent_encumbered"):
        offers.offer_accept(offer=offer, by=demander)
    from listings.trading.services.lifecycle import listing_suspend

    listing_suspend(listing=listing, by=operator, reason="质押登记")
    with breaks("listing", "listing_suspended"):
        offers.offer_accept(offer=offer, by=demander)


def test_agreed_assignment_pauses_siblings_and_closing_cancels_them(listing, started, holder, demander, second_buyer):
    buyer2, org2 = second_buyer
    other = lifecycle.deal_accept(deal=lifecycle.deal_open_from_listing(
        listing=listing, by=buyer2, buyer=org2, deal_type="assignment"), by=holder)
    offer = offers.offer_make(deal=started, by=holder, terms=terms())
    offers.offer_accept(offer=offer, by=demander)
    other.refresh_from_db()
    started.refresh_from_db()
    assert started.status == DealStatus.IP_REVIEW
    assert other.status == DealStatus.PAUSED
    rev = review.current_review(started)
    assert rev.risk_level == RiskLevel.LOW and rev.state == ReviewState.CLEARED
    sha = contract.contract_sha256(started)
    contract.contract_confirm(deal=started, by=holder, text_sha256=sha)
    contract.contract_confirm(deal=started, by=demander, text_sha256=sha)
    started.refresh_from_db()
    assert started.status == DealStatus.CONTRACT_CONFIRMED
    lifecycle.deal_close(started, holder)
    other.refresh_from_db()
    listing.refresh_from_db()
    assert other.status == DealStatus.CANCELLED
    assert listing.status == ListingStatus.CLOSED and listing.close_outcome == "assigned"


def test_revising_terms_voids_confirmations_and_resumes_siblings(listing, agreed, holder, demander, second_buyer):
    sha = contract.contract_sha256(agreed)
    contract.contract_confirm(deal=agreed, by=holder, text_sha256=sha)
    lifecycle.deal_revise(deal=agreed, by=demander, reason="调整付款节点")
    assert not agreed.confirmations.filter(voided_at__isnull=True).exists()
    new = offers.offer_make(deal=agreed, by=holder, terms=terms(price_amount=46_000_000, milestones=[]))
    offers.offer_accept(offer=new, by=demander)
    with breaks("text_sha256", "contract_changed"):
        contract.contract_confirm(deal=agreed, by=demander, text_sha256=sha)


def test_high_risk_holds_until_operator_decides(agreed, operator, holder, demander):
    rev = review.current_review(agreed)
    review.review_finding_add(review=rev, by=operator, code="litigation", severity="high", text="存在侵权诉讼（2024）苏01民初1号")
    rev.refresh_from_db()
    assert rev.state == ReviewState.HELD
    with breaks("review", "review_not_cleared"):
        contract.contract_confirm(deal=agreed, by=holder, text_sha256=contract.contract_sha256(agreed))
    with pytest.raises(NotPermitted):
        review.review_decide(review=rev, by=holder, proceed=True, note="自行决定")
    review.review_decide(review=rev, by=operator, proceed=False, note="专家评议认为诉讼风险过高")
    agreed.refresh_from_db()
    assert agreed.status == DealStatus.CANCELLED


def test_medium_risk_needs_mitigation(agreed, operator, demander):
    rev = review.current_review(agreed)
    review.review_finding_add(review=rev, by=operator, code="ownership_dispute", severity="medium", text="共有人未出具同意书")
    with breaks("mitigation_note", "mitigation_required"):
        review.review_mitigate(review=rev, by=demander, note="短")
    review.review_mitigate(review=rev, by=demander, note="卖方承诺签约前提交共有人书面同意书，否则买方可解除合同")
    rev.refresh_from_db()
    assert rev.state == ReviewState.CLEARED


def test_commission_must_be_set_when_a_broker_takes_part(started, holder, demander, db):
    from listings.deals.models import BrokerStatus
    from marketplace.models import Membership
    from tests.factories import MembershipFactory, OrganisationFactory

    broker_org = OrganisationFactory(name="技术经纪事务所")
    broker_user = MembershipFactory(organisation=broker_org, role=Membership.Role.BROKER, user__username="broker").user
    row = parties.broker_invite(deal=started, by=demander, side="buyer", organisation=broker_org)
    parties.broker_answer(broker=row, by=broker_user, accept=True)
    row.refresh_from_db()
    assert row.status == BrokerStatus.ACCEPTED
    offer = offers.offer_make(deal=started, by=broker_user, terms=terms())  # a broker negotiates for the buyer
    assert offer.side == "buyer"
    counter = offers.offer_make(deal=started, by=holder, answers=offer, terms=terms(price_amount=45_000_000))
    with breaks("commission", "commission_not_set"):
        offers.offer_accept(offer=counter, by=demander)
    parties.commission_set(deal=started, by=demander, payer="buyer", bps=300)
    offers.offer_accept(offer=counter, by=demander)


def test_illegal_transition_writes_nothing(started, holder):
    with pytest.raises(IllegalTransition):
        lifecycle.deal_close(started, holder)
    assert started.transitions.count() == 2


def test_contract_pdf_has_extractable_chinese_title(agreed):
    import io
    import shutil

    if not shutil.which("fc-list"):
        pytest.skip("fontconfig missing")
    from pypdf import PdfReader

    pdf = contract.contract_pdf(agreed)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "专利权转让合同" in text
    assert agreed.seller.name in text
