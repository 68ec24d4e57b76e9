"""The deal API: every page capability over /api/deals/ and /api/deal-brokers/, each with its permission check."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from listings.deals.models import BrokerStatus, Deal, DealOffer, DealStatus, NdaAcceptance, OfferStatus
from listings.deals.services import lifecycle, review
from listings.matching.models import DemandMatch
from marketplace.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _offer_body(**overrides):
    body = {"deal_type": "assignment", "price_amount": 45_000_000,
            "milestones": [{"label": "签约", "amount": 15_000_000}, {"label": "登记完成", "amount": 30_000_000}],
            "expires_at": (timezone.now() + dt.timedelta(days=7)).isoformat(), "message": "首轮报价"}
    body.update(overrides)
    return body


@pytest.fixture
def broker(db):
    org = OrganisationFactory(name="中关村技术经纪事务所")
    return MembershipFactory(organisation=org, role=Membership.Role.BROKER, user__username="broker").user, org


def test_enquiry_opens_a_deal_only_for_your_own_buyer_organisation(listing, demander, demand_org, outsider, holder):
    body = {"listing": listing.pk, "organisation": demand_org.pk, "deal_type": "assignment",
            "price_amount": 40_000_000, "message": "希望了解授权情况"}
    refused = _client(outsider).post("/api/deals/enquiry/", body, format="json")
    assert refused.status_code == 403 and not Deal.objects.exists()
    bad = _client(demander).post("/api/deals/enquiry/", {**body, "deal_type": "licence", "licence_kind": ""}, format="json")
    assert bad.status_code == 400 and not Deal.objects.exists()
    response = _client(demander).post("/api/deals/enquiry/", body, format="json")
    assert response.status_code == 201 and response.json()["status"] == DealStatus.ENQUIRY
    deal_id = response.json()["id"]
    # only the side that did not open accepts
    assert _client(demander).post(f"/api/deals/{deal_id}/accept/").status_code == 403
    assert _client(outsider).post(f"/api/deals/{deal_id}/accept/").status_code == 404
    assert _client(holder).post(f"/api/deals/{deal_id}/accept/").json()["status"] == DealStatus.NEGOTIATING


def test_decline_by_the_receiver(listing, demander, demand_org, holder):
    deal = lifecycle.deal_open_from_listing(listing=listing, by=demander, buyer=demand_org, deal_type="assignment")
    response = _client(holder).post(f"/api/deals/{deal.pk}/decline/", {"reason": "价格差距过大"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == DealStatus.DECLINED


def test_from_match_needs_a_holder_of_the_organisation(db, listing, patent, holder, holder_org, demander, outsider):
    from tests.factories import DemandFactory

    demand = DemandFactory(organisation=demander.memberships.get().organisation)
    match = DemandMatch.objects.create(demand=demand, patent=patent, listing=listing, score=0.8, computed_at=timezone.now())
    body = {"match": match.pk, "organisation": holder_org.pk, "deal_type": "assignment", "message": "推荐给贵公司"}
    # the demand is public, but only a holder of the named organisation may recommend for it
    assert _client(outsider).post("/api/deals/from-match/", body, format="json").status_code == 403
    assert _client(demander).post("/api/deals/from-match/", body, format="json").status_code == 403
    assert not Deal.objects.exists()
    response = _client(holder).post("/api/deals/from-match/", body, format="json")
    assert response.status_code == 201, response.json()
    deal = Deal.objects.get(pk=response.json()["id"])
    assert deal.match_id == match.pk and deal.seller_id == holder_org.pk
    assert _client(demander).post(f"/api/deals/{deal.pk}/accept/").json()["status"] == DealStatus.NEGOTIATING


def test_offer_counter_with_diff_accept_and_permissions(started, holder, demander, outsider):
    url = f"/api/deals/{started.pk}/offers/"
    assert _client(outsider).post(url, _offer_body(), format="json").status_code == 404
    inconsistent = _client(holder).post(url, _offer_body(price_amount=40_000_000), format="json")
    assert inconsistent.status_code == 400
    assert inconsistent.json()["rules"][0]["rule"] == "milestones_sum_mismatch" and not DealOffer.objects.exists()
    first = _client(holder).post(url, _offer_body(), format="json").json()
    counter = _client(demander).post(url, _offer_body(
        price_amount=42_000_000, answers=first["id"],
        milestones=[{"label": "签约", "amount": 12_000_000}, {"label": "登记完成", "amount": 30_000_000}],
    ), format="json")
    assert counter.status_code == 201
    assert {d["field"] for d in counter.json()["diff"]} >= {"price_amount", "milestones"}
    listed = _client(demander).get(url).json()
    assert [o["status"] for o in listed] == [OfferStatus.SUPERSEDED, OfferStatus.OPEN]
    # a superseded offer is refused by name; your own offer you cannot accept; outsiders see nothing
    assert _client(demander).post(f"{url}{first['id']}/accept/").json()["rules"][0]["rule"] == "offer_superseded"
    assert _client(demander).post(f"{url}{counter.json()['id']}/accept/").status_code == 403
    assert _client(outsider).post(f"{url}{counter.json()['id']}/accept/").status_code == 404
    accepted = _client(holder).post(f"{url}{counter.json()['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == OfferStatus.ACCEPTED
    started.refresh_from_db()
    assert started.status == DealStatus.IP_REVIEW


def test_reject_and_withdraw_are_each_sides_own(started, holder, demander):
    url = f"/api/deals/{started.pk}/offers/"
    first = _client(holder).post(url, _offer_body(), format="json").json()
    assert _client(demander).post(f"{url}{first['id']}/withdraw/").status_code == 403
    assert _client(holder).post(f"{url}{first['id']}/reject/").status_code == 403
    assert _client(holder).post(f"{url}{first['id']}/withdraw/").json()["status"] == OfferStatus.WITHDRAWN
    second = _client(holder).post(url, _offer_body(), format="json").json()
    rejected = _client(demander).post(f"{url}{second['id']}/reject/", {"reason": "价格过高"}, format="json")
    assert rejected.json()["status"] == OfferStatus.REJECTED


def test_brokers_invite_accept_request_assign_and_commission(started, holder, demander, outsider, operator, broker):
    broker_user, broker_org = broker
    url = f"/api/deals/{started.pk}/brokers/"
    assert _client(outsider).post(url, {"side": "buyer", "organisation": broker_org.pk}, format="json").status_code == 404
    assert _client(holder).post(url, {"side": "buyer", "organisation": broker_org.pk}, format="json").status_code == 403
    invited = _client(demander).post(url, {"side": "buyer", "organisation": broker_org.pk}, format="json")
    assert invited.status_code == 201 and invited.json()["status"] == BrokerStatus.INVITED
    row = invited.json()["id"]
    # the invitation is the broker's to answer: the deal's parties and outsiders cannot
    assert _client(demander).post(f"/api/deal-brokers/{row}/accept/").status_code == 404
    assert _client(outsider).post(f"/api/deal-brokers/{row}/accept/").status_code == 404
    assert [r["id"] for r in _client(broker_user).get("/api/deal-brokers/").json()["results"]] == [row]
    assert _client(broker_user).post(f"/api/deal-brokers/{row}/accept/").json()["status"] == BrokerStatus.ACCEPTED
    assert _client(broker_user).get(f"/api/deals/{started.pk}/").status_code == 200

    requested = _client(holder).post(url, {"side": "seller", "note": "请推荐熟悉新材料的经纪人"}, format="json")
    assert requested.json()["status"] == BrokerStatus.REQUESTED
    other_broker_org = OrganisationFactory(name="上海知识产权经纪有限公司")
    MembershipFactory(organisation=other_broker_org, role=Membership.Role.BROKER)
    assign = f"/api/deal-brokers/{requested.json()['id']}/assign/"
    assert _client(holder).post(assign, {"organisation": other_broker_org.pk}, format="json").status_code == 404
    assigned = _client(operator).post(assign, {"organisation": other_broker_org.pk}, format="json")
    assert assigned.status_code == 200 and assigned.json()["status"] == BrokerStatus.INVITED

    commission = f"/api/deals/{started.pk}/commission/"
    assert _client(outsider).post(commission, {"payer": "buyer", "bps": 300}, format="json").status_code == 404
    both = _client(demander).post(commission, {"payer": "buyer", "bps": 300, "fixed_amount": 100}, format="json")
    assert both.status_code == 400 and "commission" in both.json()["errors"]
    assert _client(demander).post(commission, {"payer": "buyer", "bps": 300}, format="json").json()["commission_bps"] == 300


def test_nda_then_confidential_download(started, holder, demander, outsider):
    upload = SimpleUploadedFile("技术说明.pdf", PDF, content_type="application/pdf")
    docs = f"/api/deals/{started.pk}/documents/"
    assert _client(outsider).post(docs, {"file": upload, "confidential": True}, format="multipart").status_code == 404
    forged = SimpleUploadedFile("说明.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    assert _client(holder).post(docs, {"file": forged}, format="multipart").status_code == 400
    upload.seek(0)
    created = _client(holder).post(docs, {"file": upload, "confidential": True}, format="multipart")
    assert created.status_code == 201, created.json()
    download = f"{docs}{created.json()['id']}/download/"
    assert [d["visible"] for d in _client(demander).get(docs).json()] == [False]
    assert _client(demander).get(download).status_code == 403
    assert _client(outsider).get(download).status_code == 404
    nda = _client(demander).get(f"/api/deals/{started.pk}/nda/").json()
    assert _client(demander).post(f"/api/deals/{started.pk}/nda/", {"sha256": "0" * 64}, format="json").status_code == 400
    assert _client(holder).post(f"/api/deals/{started.pk}/nda/", {"sha256": nda["sha256"]}, format="json").status_code == 403
    accepted = _client(demander).post(f"/api/deals/{started.pk}/nda/", {"sha256": nda["sha256"]}, format="json")
    assert accepted.status_code == 201 and accepted.json()["accepted"]
    assert NdaAcceptance.objects.get(deal=started).text_sha256 == nda["sha256"]
    response = _client(demander).get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF


def test_review_findings_decisions_and_contract(agreed, holder, demander, operator, outsider):
    url = f"/api/deals/{agreed.pk}/review/"
    assert _client(outsider).get(url).status_code == 404
    assert _client(demander).get(url).json()["risk_level"] == "low"
    finding = {"code": "litigation", "severity": "high", "text": "该专利涉及侵权诉讼（2024）苏05民初1号"}
    assert _client(holder).post(f"{url}findings/", finding, format="json").status_code == 403
    added = _client(operator).post(f"{url}findings/", finding, format="json")
    assert added.status_code == 201 and added.json()["state"] == "held"
    assert _client(holder).post(f"{url}proceed/", {"note": "自行决定"}, format="json").status_code == 403
    proceeded = _client(operator).post(f"{url}proceed/", {"note": "诉讼已和解"}, format="json")
    assert proceeded.json()["state"] == "cleared"

    contract = _client(demander).get(f"/api/deals/{agreed.pk}/contract/").json()
    assert "转让合同" in contract["title"] and contract["confirmations"] == []
    assert _client(outsider).get(f"/api/deals/{agreed.pk}/contract/pdf/").status_code == 404
    pdf = _client(demander).get(f"/api/deals/{agreed.pk}/contract/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    confirm = f"/api/deals/{agreed.pk}/contract/confirm/"
    assert _client(holder).post(confirm, {"sha256": "f" * 64}, format="json").json()["rules"][0]["rule"] == "contract_changed"
    assert _client(operator).post(confirm, {"sha256": contract["sha256"]}, format="json").status_code == 403
    assert _client(holder).post(confirm, {"sha256": contract["sha256"]}, format="json").status_code == 201
    _client(demander).post(confirm, {"sha256": contract["sha256"]}, format="json")
    agreed.refresh_from_db()
    assert agreed.status == DealStatus.CONTRACT_CONFIRMED


def test_mitigation_by_a_party(agreed, demander, operator):
    rev = review.current_review(agreed)
    review.review_finding_add(review=rev, by=operator, code="ownership", severity="medium", text="共有人未签字")
    url = f"/api/deals/{agreed.pk}/review/mitigate/"
    response = _client(demander).post(url, {"note": "已取得全体共有人签字的同意书"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "cleared"


def test_contract_before_agreement_is_refused_by_name(started, demander):
    response = _client(demander).get(f"/api/deals/{started.pk}/contract/")
    assert response.status_code == 400 and response.json()["rules"][0]["rule"] == "terms_not_agreed"


@pytest.mark.django_db
def test_every_action_has_its_own_path_url_name_and_operation():
    from django.urls import reverse
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for name in ("accept", "decline", "cancel", "revise", "dispute", "resolve", "close"):
        assert reverse(f"deal-{name}", kwargs={"pk": 7}) == f"/api/deals/7/{name}/"
        assert paths[f"/api/deals/{{id}}/{name}/"]["post"]["operationId"] == f"deals_{name}"
    for name in ("accept", "reject", "withdraw"):
        assert reverse(f"deal-offer-{name}", kwargs={"pk": 7, "offer_pk": 3}) == f"/api/deals/7/offers/3/{name}/"
        assert f"/api/deals/{{id}}/offers/{{offer_pk}}/{name}/" in paths
    for name in ("mitigate", "proceed", "stop"):
        assert reverse(f"deal-review-{name}", kwargs={"pk": 7}) == f"/api/deals/7/review/{name}/"
    assert not [path for path in paths if "/actions/" in path or "{name}" in path]
