"""Done-when: a user signs up (allauth), registers the holder firm, an operator verifies it; the holder
lists a real-looking patent, the operator approves it, it is on the board and in search with the
listed flag, and every party's notifications are recorded. A firm posts a demand the same way."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from listings.catalogue.models import PatentKind
from listings.demands.models import Demand, DemandStatus
from listings.trading.models import Listing, ListingStatus
from marketplace.models import Notification, Organisation
from search import get_search_backend
from search.documents import patent_document
from search.interface import SearchFilters, SearchQuery
from tests.factories import PatentFactory, make_uscc

pytestmark = pytest.mark.django_db(transaction=True)


def signup(client, username):
    response = client.post("/accounts/signup/", {
        "username": username, "email": f"{username}@example.cn", "password1": "Zone-Patent-2026!",
        "password2": "Zone-Patent-2026!",
    })
    assert response.status_code == 302, response.content.decode()[:500]
    return get_user_model().objects.get(username=username)


def test_allauth_sign_up_and_login(client):
    user = signup(client, "newholder")
    assert user.email == "newholder@example.cn" and user.check_password("Zone-Patent-2026!")
    assert client.get("/me/listings/").status_code == 200  # signed in by the sign-up
    client.logout()
    assert client.get("/me/listings/").status_code == 302
    response = client.post("/accounts/login/", {"login": "newholder", "password": "Zone-Patent-2026!"})
    assert response.status_code == 302 and client.get("/me/listings/").status_code == 200
    client.logout()
    response = client.post("/accounts/signup/", {"username": "x", "email": "bad", "password1": "1", "password2": "2"})
    assert response.status_code == 200 and get_user_model().objects.count() == 1


def test_holder_lists_operator_approves_board_search_notifications(client, operator):
    holder = signup(client, "suzhou_nano")
    client.post("/me/organisations/", {
        "name": "苏州纳米银材料科技有限公司", "uscc": make_uscc(4242), "kind": "enterprise", "role": "holder",
    })
    firm = Organisation.objects.get(name="苏州纳米银材料科技有限公司")
    patent = PatentFactory(
        kind=PatentKind.INVENTION, application_number="201710601862.3", publication_number="CN107419215B",
        title="一种纳米银线透明导电薄膜的制备方法", applicants=["苏州纳米银材料科技有限公司"],
        application_date=dt.date(2017, 7, 21), holders=[firm], ipc=["H01B13/00", "B82Y30/00"],
    )

    client.force_login(operator)
    client.post(f"/review/organisations/{firm.pk}/verify/", {"reason": "营业执照与统一社会信用代码一致"})
    firm.refresh_from_db()
    assert firm.is_verified

    client.force_login(holder)
    client.post("/listings/new/", {
        "organisation": firm.pk, "title": "纳米银线透明导电薄膜制备专利转让",
        "description": "方阻低、透光率高，适用于柔性触控。", "patent_numbers": "ZL201710601862.3",
        "deal_type": "assignment", "price": "800000",
    })
    listing = Listing.objects.get()
    assert list(listing.patents.all()) == [patent]
    client.post(f"/listings/{listing.pk}/submit/")

    client.force_login(operator)
    client.post(f"/review/listings/{listing.pk}/review_start/")
    client.post(f"/review/listings/{listing.pk}/approve/", {"reason": "权属清晰"})
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED

    client.logout()
    board = client.get("/listings/").content.decode()
    assert "纳米银线透明导电薄膜制备专利转让" in board and "¥800,000.00" in board
    detail = client.get(f"/listings/{listing.pk}/").content.decode()
    assert "CN107419215B" in detail and "苏州纳米银材料科技有限公司" in detail

    backend = get_search_backend()
    result = backend.search(SearchQuery(text="纳米银线", filters=SearchFilters(ipc="H01B")))
    assert patent.pk in [hit.id for hit in result.hits]
    assert patent_document(patent).listed is True
    if hasattr(backend, "document"):
        assert backend.document(patent.pk).listed is True

    verbs = set(Notification.objects.filter(recipient=holder).values_list("verb", flat=True))
    assert {"organisation.verified", "listing.in_review", "listing.published"} <= verbs
    assert Notification.objects.filter(recipient=operator, verb="listing.submitted").exists()

    client.force_login(holder)
    client.post(f"/listings/{listing.pk}/withdraw/", {"reason": "已与意向方线下成交", "confirm": "yes"})
    if hasattr(backend, "document"):
        assert backend.document(patent.pk).listed is False


def test_firm_posts_a_demand_operator_publishes(client, operator):
    user = signup(client, "hz_iot")
    client.post("/me/organisations/", {"name": "杭州物联网传感有限公司", "uscc": make_uscc(9090), "kind": "enterprise",
                                       "role": "demand"})
    firm = Organisation.objects.get(name="杭州物联网传感有限公司")
    client.force_login(operator)
    client.post(f"/review/organisations/{firm.pk}/verify/")
    client.force_login(user)
    client.post("/demands/new/", {
        "organisation": firm.pk, "title": "寻求低功耗广域组网技术", "problem": "节点电池寿命需达到五年",
        "ipc_codes": "H04W 52/02, H04W84/18", "budget_min": "200000", "budget_max": "1000000",
        "deal_types": ["licence", "open_licence"], "deadline": (dt.date.today() + dt.timedelta(days=45)).isoformat(),
        "visibility": "anonymous",
    })
    demand = Demand.objects.get()
    client.post(f"/demands/{demand.pk}/submit/")
    client.force_login(operator)
    client.post(f"/review/demands/{demand.pk}/review_start/")
    client.post(f"/review/demands/{demand.pk}/approve/")
    demand.refresh_from_db()
    assert demand.status == DemandStatus.PUBLISHED
    client.logout()
    board = client.get("/demands/").content.decode()
    assert "寻求低功耗广域组网技术" in board and "杭州物联网传感有限公司" not in board
    assert Notification.objects.filter(recipient=user, verb="demand.published").exists()
