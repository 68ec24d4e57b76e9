"""Acting in a deal needs the role of the side, not only membership of the party's organisation.

A member of the seller's organisation whose roles do not act for the seller (a lender, 质权人; a demand-side
member) and a member of the buyer's organisation without a demand/broker role may read the deal (the room, offers,
documents of their own side) but never act in it: every service refuses them inside its transaction, the API and
the pages answer 403 before reading the body, and the room refuses their chat frames with an error naming that.
"""
from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from listings.deals import access, selectors
from listings.deals.models import Deal, DealBroker, DealDocument, DealOffer, DealStatus, NdaAcceptance, OfferStatus
from listings.deals.services import contract, lifecycle, offers, parties
from marketplace.kernel.errors import NotPermitted
from marketplace.models import Membership
from tests.factories import MembershipFactory
from tests.listings.deals.conftest import terms
from tests.listings.deals.test_room_and_pages import LAYERS, _communicator, _drain_until

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def seller_lender(holder_org):
    """A member of the seller's organisation whose only role is lender (质权人): a finance member."""
    return MembershipFactory(organisation=holder_org, role=Membership.Role.LENDER, user__username="seller-lender").user


@pytest.fixture
def buyer_lender(demand_org):
    return MembershipFactory(organisation=demand_org, role=Membership.Role.LENDER, user__username="buyer-lender").user


@pytest.fixture
def seller_demand_member(holder_org):
    """A member of the seller's organisation in the demand role only: a buyer's role, not the seller's."""
    return MembershipFactory(organisation=holder_org, role=Membership.Role.DEMAND, user__username="seller-demand").user


@pytest.fixture
def open_offer(started, demander):
    return offers.offer_make(deal=started, by=demander, terms=terms())


def _upload():
    return SimpleUploadedFile("说明.pdf", PDF, content_type="application/pdf")


def _snapshot(deal: Deal) -> tuple:
    deal.refresh_from_db()
    return (deal.status, deal.next_seq, deal.commission_payer, DealOffer.objects.filter(deal=deal).count(),
            list(DealOffer.objects.filter(deal=deal).values_list("status", flat=True)), DealDocument.objects.count(),
            DealBroker.objects.count(), NdaAcceptance.objects.count())


# --------------------------------------------------------------------------------------------
# the rule
# --------------------------------------------------------------------------------------------
def test_a_member_without_the_role_of_the_side_reads_but_does_not_act(started, holder, demander, seller_lender,
                                                                       buyer_lender, seller_demand_member, outsider):
    for reader in (seller_lender, buyer_lender, seller_demand_member):
        assert access.can_view_deal(reader, started) and started in access.deals_visible_to(reader)
        assert access.party_side(reader, started) is None and access.acting_side(reader, started) is None
        assert access.is_read_only(reader, started) and not access.can_act_in_deal(reader, started)
    assert access.member_side(seller_lender, started) == "seller" and access.member_side(buyer_lender, started) == "buyer"
    assert access.party_side(holder, started) == "seller" and access.party_side(demander, started) == "buyer"
    assert access.can_act_in_deal(holder, started) and not access.is_read_only(holder, started)
    assert not access.can_view_deal(outsider, started) and not access.is_read_only(outsider, started)


def test_an_organisations_own_broker_member_acts_for_its_side(started, holder_org, demand_org):
    """The roles that open a deal act in it: holder or broker for the seller, demand or broker for the buyer."""
    seller_broker = MembershipFactory(organisation=holder_org, role=Membership.Role.BROKER).user
    buyer_broker = MembershipFactory(organisation=demand_org, role=Membership.Role.BROKER).user
    assert access.party_side(seller_broker, started) == "seller" and access.party_side(buyer_broker, started) == "buyer"
    readers, actors = access.rights_among({(seller_broker, started), (buyer_broker, started)})
    assert readers == actors == {(seller_broker.pk, started.pk), (buyer_broker.pk, started.pk)}


def test_the_batch_check_agrees_with_the_single_checks(started, holder, demander, seller_lender, buyer_lender,
                                                      seller_demand_member, outsider, operator):
    users = (holder, demander, seller_lender, buyer_lender, seller_demand_member, outsider, operator)
    readers, actors = access.rights_among({(u, started) for u in users})
    for user in users:
        assert ((user.pk, started.pk) in readers) is access.can_view_deal(user, started), user
        assert ((user.pk, started.pk) in actors) is access.can_act_in_deal(user, started), user
        assert access.can_act_in_deal(user, started) is (
            access.acting_side(user, started) is not None or access.permissions.is_operator(user)), user


# --------------------------------------------------------------------------------------------
# the services: each kind of action refused, nothing written
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["seller_lender", "seller_demand_member"])
def test_the_services_refuse_every_seller_side_action(request, who, started, open_offer, holder):
    user = request.getfixturevalue(who)
    before = _snapshot(started)
    actions = {
        "cancel": lambda: lifecycle.deal_cancel(deal=started, by=user, reason="不想要了"),
        "offer_accept": lambda: offers.offer_accept(offer=open_offer, by=user),
        "offer_reject": lambda: offers.offer_reject(offer=open_offer, by=user, reason="太低"),
        "offer_make": lambda: offers.offer_make(deal=started, by=user, terms=terms(), answers=open_offer),
        "document": lambda: parties.document_upload(deal=started, by=user, upload=_upload()),
        "commission": lambda: parties.commission_set(deal=started, by=user, payer="seller", bps=100),
        "broker": lambda: parties.broker_request(deal=started, by=user, side="seller", note="请推荐"),
        "chat": lambda: parties.chat_post(deal=started, by=user, body="我来接受报价"),
    }
    for name, act in actions.items():
        with pytest.raises(NotPermitted):
            act()
        assert _snapshot(started) == before, name
    # the holder, in the seller's role, still may
    assert offers.offer_accept(offer=open_offer, by=holder).status == OfferStatus.ACCEPTED


def test_the_chat_refusal_names_the_role_and_the_batch_refuses_each_reader(started, seller_lender, demander, outsider):
    with pytest.raises(NotPermitted) as refused:
        parties.chat_post(deal=started, by=seller_lender, body="你好")
    assert str(refused.value.message) == access.READ_ONLY
    results = parties.chat_post_many(posts=[parties.ChatPost(deal=started, by=seller_lender, body="一"),
                                            parties.ChatPost(deal=started, by=demander, body="二"),
                                            parties.ChatPost(deal=started, by=outsider, body="三")])
    assert isinstance(results[0], NotPermitted) and results[0].message == access.READ_ONLY
    assert not isinstance(results[1], NotPermitted) and results[1].body == "二"
    assert isinstance(results[2], NotPermitted) and results[2].message == parties.NOT_A_PARTY


def test_the_receiver_without_the_role_cannot_accept_the_enquiry(listing, demander, demand_org, seller_lender, holder):
    deal = lifecycle.deal_open_from_listing(listing=listing, by=demander, buyer=demand_org, deal_type="assignment",
                                            price_amount=40_000_000)
    for act in (lifecycle.deal_accept, lifecycle.deal_decline):
        with pytest.raises(NotPermitted):
            act(deal=deal, by=seller_lender)
    deal.refresh_from_db()
    assert deal.status == DealStatus.ENQUIRY
    assert lifecycle.deal_accept(deal=deal, by=holder).status == DealStatus.NEGOTIATING


def test_the_buyers_member_without_the_role_cannot_accept_the_nda_or_offers(started, holder, buyer_lender):
    offer = offers.offer_make(deal=started, by=holder, terms=terms())
    with pytest.raises(NotPermitted):
        parties.nda_accept(deal=started, by=buyer_lender, text_sha256=started.nda_sha256)
    with pytest.raises(NotPermitted):
        offers.offer_accept(offer=offer, by=buyer_lender)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN and not NdaAcceptance.objects.exists()


def test_contract_confirmation_needs_the_role(agreed, seller_lender, buyer_lender, holder):
    sha = contract.contract_sha256(agreed)
    for user in (seller_lender, buyer_lender):
        with pytest.raises(NotPermitted):
            contract.contract_confirm(deal=agreed, by=user, text_sha256=sha)
    assert not contract.confirmations_valid(agreed)
    contract.contract_confirm(deal=agreed, by=holder, text_sha256=sha)
    assert [c.side for c in contract.confirmations_valid(agreed)] == ["seller"]


def test_a_reader_sees_their_own_sides_documents_and_nothing_waits_on_them(started, holder, seller_lender, open_offer):
    document = parties.document_upload(deal=started, by=holder, upload=_upload(), confidential=True)
    assert access.can_see_document(seller_lender, document)
    # the offer waits on the seller's side: on the holder, not on the lender who cannot answer it
    assert selectors.waiting_on(holder, started) and selectors.waiting_on(seller_lender, started) == ""


# --------------------------------------------------------------------------------------------
# the API and the pages
# --------------------------------------------------------------------------------------------
def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _api_writes(deal: Deal, offer: DealOffer) -> list[tuple[str, dict]]:
    base = f"/api/deals/{deal.pk}"
    offer_body = {"deal_type": "assignment", "price_amount": 45_000_000, "answers": offer.pk,
                  "milestones": [{"label": "签约", "amount": 45_000_000}], "message": "还价"}
    return [(f"{base}/cancel/", {"reason": "不做了"}), (f"{base}/offers/{offer.pk}/accept/", {}),
            (f"{base}/offers/{offer.pk}/reject/", {"reason": "太低"}), (f"{base}/offers/", offer_body),
            (f"{base}/chat/", {"body": "你好"}), (f"{base}/commission/", {"payer": "seller", "bps": 100}),
            (f"{base}/brokers/", {"side": "seller", "note": "请推荐"}), (f"{base}/nda/", {"sha256": deal.nda_sha256}),
            (f"{base}/contract/confirm/", {"sha256": "0" * 64}), (f"{base}/revise/", {"reason": "再谈"}),
            (f"{base}/review/mitigate/", {"note": "已补充"})]


def test_the_api_refuses_a_reader_every_write_with_403_and_lets_them_read(started, open_offer, seller_lender):
    client = _api(seller_lender)
    before = _snapshot(started)
    for url, body in _api_writes(started, open_offer):
        response = client.post(url, body, format="json")
        assert response.status_code == 403, url
        assert access.READ_ONLY in json.dumps(response.json(), ensure_ascii=False), url
        assert "read_only_role" in json.dumps(response.json()), url
    upload = client.post(f"/api/deals/{started.pk}/documents/", {"file": _upload()}, format="multipart")
    assert upload.status_code == 403
    assert _snapshot(started) == before
    for url in ("", "messages/", "offers/", "documents/", "nda/", "brokers/"):
        assert client.get(f"/api/deals/{started.pk}/{url}").status_code == 200, url
    assert client.get(f"/api/deals/{started.pk}/").json()["id"] == started.pk


def test_the_pages_refuse_a_reader_every_action_with_403(client, started, open_offer, seller_lender):
    client.force_login(seller_lender)
    before = _snapshot(started)
    base = f"/deals/{started.pk}"
    writes = [(f"{base}/{action}/", {"reason": "x"}) for action in ("accept", "decline", "cancel", "revise", "dispute", "close")]
    writes += [(f"{base}/offers/{open_offer.pk}/{action}/", {"reason": "x"}) for action in ("accept", "reject")]
    writes += [(f"{base}/messages/", {"body": "你好"}), (f"{base}/commission/", {"payer": "seller", "bps": "100"}),
               (f"{base}/brokers/", {"side": "seller", "note": "请推荐"}), (f"{base}/documents/", {"file": _upload()}),
               (f"{base}/nda/", {"sha256": started.nda_sha256}), (f"{base}/contract/confirm/", {"sha256": "0" * 64}),
               (f"{base}/offers/new/", {"deal_type": "assignment", "price": "450000"})]
    for url, body in writes:
        response = client.post(url, body)
        assert response.status_code == 403, url
    assert client.get(f"{base}/offers/new/").status_code == 403
    assert _snapshot(started) == before
    room = client.get(f"{base}/")
    assert room.status_code == 200


def test_the_room_page_hides_the_actions_from_a_reader(client, started, open_offer, seller_lender, holder):
    client.force_login(holder)
    accept_url = f"/deals/{started.pk}/offers/{open_offer.pk}/accept/"
    assert accept_url in client.get(f"/deals/{started.pk}/").content.decode()
    client.force_login(seller_lender)
    assert accept_url not in client.get(f"/deals/{started.pk}/").content.decode()


# --------------------------------------------------------------------------------------------
# the room socket
# --------------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
@override_settings(CHANNEL_LAYERS=LAYERS)
async def test_the_room_lets_a_reader_follow_and_refuses_their_chat_frame(started, seller_lender):
    comm = _communicator(seller_lender, started.pk)
    connected, _ = await comm.connect()
    assert connected
    frames = await _drain_until(comm, "caught_up")
    head = max(f["seq"] for f in frames if f["type"] == "message")
    await comm.send_to(text_data=json.dumps({"type": "chat", "body": "我来答复", "client_id": "l1"}))
    error = (await _drain_until(comm, "error"))[-1]
    assert (error["field"], error["code"], error["error"]) == ("user", "read_only_role", access.READ_ONLY)
    assert await database_sync_to_async(lambda: started.messages.filter(seq__gt=head).count())() == 0
    await comm.send_to(text_data=json.dumps({"type": "ping"}))  # still connected: a reader follows the room
    assert (await _drain_until(comm, "pong"))[-1] == {"type": "pong"}
    await comm.disconnect()
