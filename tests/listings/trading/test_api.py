"""The trading API: token and session auth, object permissions (other organisations → 404/403, never
data), rules as 400 naming field and rule, illegal moves as 409, uploads refused, OpenAPI schema."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from listings.demands.models import Demand, DemandStatus, Visibility
from listings.trading.models import Listing, ListingStatus
from marketplace.models import Organisation
from tests.factories import make_uscc

from .test_uploads import EXE_BYTES, PDF_BYTES

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def api():
    return APIClient()


def listing_payload(org, patent, **extra):
    data = {
        "organisation": org.pk, "title": "纳米银线透明导电膜专利转让", "patents": [patent.publication_number],
        "deal_type": "assignment", "price_amount": 50_000_000,
    }
    data.update(extra)
    return data


def test_holder_creates_submits_and_operator_approves_with_tokens(holder, holder_org, patent, operator):
    owner = token_client(holder)
    response = owner.post("/api/listings/", listing_payload(holder_org, patent), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["price_display"] == "¥500,000.00"
    assert body["patents"][0]["publication_number"] == patent.publication_number
    pk = body["id"]
    assert owner.post(f"/api/listings/{pk}/submit/", {}, format="json").json()["status"] == "submitted"
    staff = token_client(operator)
    assert staff.post(f"/api/listings/{pk}/review-start/", {}, format="json").status_code == 200
    response = staff.post(f"/api/listings/{pk}/approve/", {"reason": "材料齐全"}, format="json")
    assert response.json()["status"] == "published"
    public = APIClient().get("/api/listings/").json()
    assert [row["id"] for row in public["results"]] == [pk]
    history = owner.get(f"/api/listings/{pk}/transitions/").json()
    assert [h["action"] for h in history] == ["create", "submit", "review_start", "approve"]
    assert history[-1]["by"] == "operator" and history[-1]["reason"] == "材料齐全"


def test_negotiable_price_is_null(holder, holder_org, patent):
    response = token_client(holder).post(
        "/api/listings/", listing_payload(holder_org, patent, price_amount=None), format="json"
    )
    assert response.json()["price_amount"] is None and response.json()["price_display"] == "面议"


def test_rules_are_400_naming_field_and_rule(holder, holder_org, patent):
    client = token_client(holder)
    response = client.post(
        "/api/listings/", listing_payload(holder_org, patent, deal_type="licence", licence_kind=""), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"]["licence_kind"]
    assert [(r["field"], r["rule"]) for r in body["rules"]] == [("licence_kind", "licence_kind_required")]
    response = client.post("/api/listings/", listing_payload(holder_org, patent, price_amount=-5), format="json")
    assert [r["rule"] for r in response.json()["rules"]] == ["price_not_positive"]
    response = client.post("/api/listings/", listing_payload(holder_org, patent, patents=["CN000000000A"]), format="json")
    assert response.status_code == 400 and "patents" in response.json()
    assert not Listing.objects.exists()


def test_illegal_transition_is_409(holder, holder_org, patent):
    client = token_client(holder)
    pk = client.post("/api/listings/", listing_payload(holder_org, patent), format="json").json()["id"]
    client.post(f"/api/listings/{pk}/withdraw/", {}, format="json")
    response = client.post(f"/api/listings/{pk}/submit/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["action"] == "submit" and response.json()["status"] == "withdrawn"


def test_other_organisation_gets_404_or_403_never_data(make_listing, holder, publish, outsider, patent):
    draft = make_listing(title="机密草稿")
    second = make_listing(title="已发布挂牌", price=None)
    publish(second, owner=holder)
    client = token_client(outsider)
    for method, url in [
        ("get", f"/api/listings/{draft.pk}/"),
        ("patch", f"/api/listings/{draft.pk}/"),
        ("post", f"/api/listings/{draft.pk}/submit/"),
        ("get", f"/api/listings/{draft.pk}/transitions/"),
        ("post", f"/api/listings/{draft.pk}/attachments/"),
    ]:
        response = getattr(client, method)(url, {}, format="json") if method != "get" else client.get(url)
        assert response.status_code == 404, (method, url, response.status_code)
        assert "机密草稿" not in response.content.decode()
    assert "机密草稿" not in client.get("/api/listings/").content.decode()
    assert client.patch(f"/api/listings/{second.pk}/", {"title": "篡改"}, format="json").status_code == 403
    assert client.post(f"/api/listings/{second.pk}/withdraw/", {}, format="json").status_code == 403
    assert client.get(f"/api/listings/{second.pk}/transitions/").status_code == 403
    assert client.post(f"/api/listings/{second.pk}/approve/", {}, format="json").status_code == 403
    assert {row.title: row.status for row in Listing.objects.all()} == {"机密草稿": "draft", "已发布挂牌": "published"}


def test_cannot_create_for_another_organisation(outsider, holder_org, patent):
    response = token_client(outsider).post("/api/listings/", listing_payload(holder_org, patent), format="json")
    assert response.status_code == 400 and "organisation" in response.json()
    assert not Listing.objects.exists()


def test_anonymous_cannot_write(api, holder_org, patent):
    assert api.post("/api/listings/", listing_payload(holder_org, patent), format="json").status_code in (401, 403)


def test_session_auth_works(holder, holder_org, patent):
    client = APIClient()
    client.force_login(holder)
    assert client.post("/api/listings/", listing_payload(holder_org, patent), format="json").status_code == 201


def test_uploads_through_the_api(make_listing, holder):
    listing = make_listing()
    client = token_client(holder)
    forged = SimpleUploadedFile("photo.png", EXE_BYTES)
    response = client.post(f"/api/listings/{listing.pk}/attachments/", {"kind": "image", "file": forged}, format="multipart")
    assert response.status_code == 400
    assert response.json()["rules"][0] == {"field": "file", "rule": "upload_wrong_type",
                                          "message": response.json()["errors"]["file"][0]}
    pdf = SimpleUploadedFile("授权书.pdf", PDF_BYTES)
    response = client.post(f"/api/listings/{listing.pk}/attachments/", {"kind": "authorisation", "file": pdf},
                           format="multipart")
    assert response.status_code == 201
    download = client.get(response.json()["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert APIClient().get(response.json()["download_url"]).status_code == 404
    assert listing.attachments.count() == 1


def test_authorisation_review_is_for_operators(make_listing, holder, operator):
    listing = make_listing()
    client = token_client(holder)
    aid = client.post(f"/api/listings/{listing.pk}/attachments/",
                      {"kind": "authorisation", "file": SimpleUploadedFile("a.pdf", PDF_BYTES)}, format="multipart").json()["id"]
    assert client.get("/api/authorisations/").status_code == 403
    assert client.post(f"/api/authorisations/{aid}/accept/", {}, format="json").status_code == 403
    staff = token_client(operator)
    assert [row["id"] for row in staff.get("/api/authorisations/").json()["results"]] == [aid]
    response = staff.post(f"/api/authorisations/{aid}/reject/", {"reason": ""}, format="json")
    assert response.status_code == 400 and response.json()["rules"][0]["rule"] == "reason_required"
    assert staff.post(f"/api/authorisations/{aid}/accept/", {"reason": "已核实"}, format="json").json()["review_status"] == "accepted"
    assert staff.post(f"/api/authorisations/{aid}/accept/", {}, format="json").status_code == 409


def test_demands_api_hides_anonymous_organisation(demander, demand_org, outsider, operator):
    client = token_client(demander)
    payload = {
        "organisation": demand_org.pk, "title": "寻求低功耗组网技术", "problem": "节点功耗高",
        "ipc_codes": ["H04W 52/02"], "budget_min": 10_000_000, "budget_max": 80_000_000,
        "deal_types": ["licence"], "deadline": (dt.date.today() + dt.timedelta(days=60)).isoformat(),
        "visibility": "anonymous",
    }
    bad = client.post("/api/demands/", {**payload, "deal_types": ["barter"]}, format="json")
    assert bad.status_code == 400 and bad.json()["rules"][0] == {
        "field": "deal_types", "rule": "invalid_choice", "message": bad.json()["errors"]["deal_types"][0]}
    past = client.post("/api/demands/", {**payload, "deadline": "2020-01-01"}, format="json")
    assert [r["rule"] for r in past.json()["rules"]] == ["deadline_in_past"]
    assert not Demand.objects.exists()
    response = client.post("/api/demands/", payload, format="json")
    assert response.status_code == 201 and response.json()["ipc_codes"] == ["H04W52/02"]
    pk = response.json()["id"]
    client.post(f"/api/demands/{pk}/submit/", {}, format="json")
    staff = token_client(operator)
    staff.post(f"/api/demands/{pk}/review-start/", {}, format="json")
    assert staff.post(f"/api/demands/{pk}/approve/", {}, format="json").json()["status"] == "published"
    assert staff.get(f"/api/demands/{pk}/").json()["organisation"]["name"] == demand_org.name
    other = token_client(outsider)
    assert other.get(f"/api/demands/{pk}/").json()["organisation"] is None
    assert APIClient().get("/api/demands/").json()["results"][0]["organisation"] is None
    assert other.patch(f"/api/demands/{pk}/", {"title": "x"}, format="json").status_code == 403
    assert other.post(f"/api/demands/{pk}/withdraw/", {}, format="json").status_code == 403
    updated = client.patch(f"/api/demands/{pk}/", {"budget_max": 90_000_000}, format="json")
    assert updated.status_code == 200 and updated.json()["budget_max"] == 90_000_000
    assert updated.json()["title"] == "寻求低功耗组网技术"
    assert Demand.objects.get().status == DemandStatus.PUBLISHED


def test_organisations_register_and_verify(operator, db):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("firm", password="pw-123456")
    client = token_client(user)
    bad = client.post("/api/organisations/", {"name": "郑州超硬材料有限公司", "uscc": "91410100MA44ABCDE0", "role": "holder"}, format="json")
    assert bad.status_code == 400 and bad.json()["rules"][0]["field"] == "uscc"
    operator_role = client.post("/api/organisations/", {"name": "郑州超硬材料有限公司", "uscc": make_uscc(5), "role": "operator"}, format="json")
    assert operator_role.json()["rules"][0]["rule"] == "role_not_self_service"
    response = client.post("/api/organisations/", {"name": "郑州超硬材料有限公司", "uscc": make_uscc(5), "role": "holder"}, format="json")
    assert response.status_code == 201 and response.json()["is_verified"] is False
    pk = response.json()["id"]
    assert client.get("/api/organisations/mine/").json()[0]["role"] == "holder"
    assert client.post(f"/api/organisations/{pk}/verify/", {}, format="json").status_code == 403
    staff = token_client(operator)
    assert staff.post(f"/api/organisations/{pk}/verify/", {}, format="json").json()["is_verified"] is True
    assert staff.post(f"/api/organisations/{pk}/verify/", {}, format="json").status_code == 409
    assert Organisation.objects.get(pk=pk).verified_by == operator


def test_review_queue_api(make_listing, holder, operator, outsider):
    listing = make_listing()
    token_client(holder).post(f"/api/listings/{listing.pk}/submit/", {}, format="json")
    assert token_client(outsider).get("/api/review-queue/").status_code == 403
    body = token_client(operator).get("/api/review-queue/").json()
    assert [row["id"] for row in body["listings"]] == [listing.pk]


def test_board_filters_in_the_api(make_listing, holder, publish):
    cheap = publish(make_listing(title="便宜", price=None), owner=holder)
    rows = APIClient().get("/api/listings/", {"price_min": "1000", "negotiable": "0"}).json()["results"]
    assert rows == []
    rows = APIClient().get("/api/listings/", {"deal_type": "assignment"}).json()["results"]
    assert [r["id"] for r in rows] == [cheap.pk]
    assert APIClient().get("/api/listings/", {"ipc": "not-an-ipc"}).json()["results"] == []


def test_schema_lists_the_trading_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"] if response["Content-Type"].endswith("json") else None
    text = response.content.decode()
    for path in (
        "/api/listings/", "/api/listings/{id}/approve/", "/api/listings/{id}/attachments/", "/api/demands/",
        "/api/demands/{id}/submit/", "/api/organisations/{id}/verify/", "/api/authorisations/{id}/accept/",
        "/api/review-queue/",
    ):
        assert path in (paths or text)
    assert ListingStatus.UNDER_NEGOTIATION in text and Visibility.ANONYMOUS in text
