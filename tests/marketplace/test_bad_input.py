"""Issue 8, items 19–20: bad input is a 400 or a form error naming the field, never a 500 (image bombs, amounts at
2^53 and beyond, infinite royalties, unique-constraint races), and unbounded work is capped (text lengths, counts,
match refreshes, API writes)."""
from __future__ import annotations

import datetime as dt
import struct
import zlib

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from listings.demands.models import Demand
from listings.matching import services as matching_services
from listings.matching.models import SavedSearch
from listings.trading.models import Listing
from marketplace.kernel.errors import TooSoon
from marketplace.kernel.forms import parse_percent_to_bps, parse_yuan
from marketplace.kernel.limits import SAVED_SEARCHES_PER_USER, TEXT_MAX
from marketplace.kernel.money import MAX_AMOUNT, AmountOutOfRange, Money
from marketplace.kernel.statemachine import RuleBroken
from marketplace.kernel.uploads import check_upload
from tests.listings.conftest import demand_kwargs

TWO_63 = 2**63


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def error_fields(response) -> set[str]:
    """The fields a 400 names: the domain shape (``errors``) or a serializer's own (``{field: [...]}``)."""
    body = response.json()
    return set(body.get("errors", body))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` × ``height`` pixels (a decompression bomb's calling card)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


# 19 · image bombs ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(100_000, 100_000), (10_000, 5_000)])
def test_an_image_declaring_huge_dimensions_is_refused_on_file(size):
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("bomb.png", png_declaring(*size)), kind="image")
    assert caught.value.error_dict["file"][0].code == "upload_image_too_large"


def test_image_bomb_on_the_api_and_the_page(make_listing, holder):
    listing = make_listing()
    response = token_client(holder).post(
        f"/api/listings/{listing.pk}/attachments/",
        {"kind": "image", "file": SimpleUploadedFile("bomb.png", png_declaring(100_000, 100_000))}, format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["rules"][0]["field"] == "file"
    assert response.json()["rules"][0]["rule"] == "upload_image_too_large"
    client = Client()
    client.force_login(holder)
    page = client.post(f"/listings/{listing.pk}/files/",
                       {"kind": "image", "file": SimpleUploadedFile("bomb.png", png_declaring(100_000, 100_000))},
                       follow=True)
    assert page.status_code == 200 and "图片尺寸过大" in page.content.decode()
    assert not listing.attachments.exists()


# 19 · money maxima -----------------------------------------------------------------------------------------------
def test_money_stays_below_two_to_the_53():
    assert Money(MAX_AMOUNT).amount == 2**53 - 1
    for amount in (2**53, TWO_63, -(2**53)):
        with pytest.raises(AmountOutOfRange):
            Money(amount)
    with pytest.raises(AmountOutOfRange):
        Money.parse("92233720368547758.08")


@pytest.mark.parametrize("text", ["92233720368547758.08", "100000000000000", "9" * 400])
def test_form_amounts_beyond_the_maximum_are_a_form_error(text):
    with pytest.raises(ValidationError):
        parse_yuan(text, "价格")


@pytest.mark.parametrize("text", ["Infinity", "-Infinity", "inf", "NaN", "1e400", "sNaN"])
def test_non_finite_royalties_are_a_form_error(text):
    with pytest.raises(ValidationError):
        parse_percent_to_bps(text)


def test_listing_page_refuses_huge_price_and_infinite_royalty(holder, holder_org, patent):
    client = Client()
    client.force_login(holder)
    form = {"organisation": holder_org.pk, "title": "许可", "description": "", "patent_numbers": patent.publication_number,
            "deal_type": "licence", "licence_kind": "exclusive", "price": "92233720368547758.08", "royalty_rate": "Infinity"}
    response = client.post("/listings/new/", form)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["price"] and errors["royalty_rate"]
    assert not Listing.objects.exists()


@pytest.mark.parametrize("amount", [TWO_63, 2**53, -(2**63) - 1])
def test_listing_api_refuses_amounts_beyond_the_maximum(holder, holder_org, patent, amount):
    payload = {"organisation": holder_org.pk, "title": "转让", "patents": [patent.publication_number],
               "deal_type": "assignment", "price_amount": amount}
    response = token_client(holder).post("/api/listings/", payload, format="json")
    assert response.status_code == 400, response.content
    assert "price_amount" in error_fields(response)
    royalty = {**payload, "deal_type": "licence", "licence_kind": "exclusive", "price_amount": None,
               "royalty_rate_bps": TWO_63}
    response = token_client(holder).post("/api/listings/", royalty, format="json")
    assert response.status_code == 400 and "royalty_rate_bps" in error_fields(response)
    assert not Listing.objects.exists()


def test_listing_api_refuses_a_non_finite_royalty(holder, holder_org, patent):
    body = ('{"organisation": %d, "title": "许可", "patents": ["%s"], "deal_type": "licence", "licence_kind": "exclusive",'
            ' "royalty_rate_bps": Infinity}' % (holder_org.pk, patent.publication_number))
    response = token_client(holder).post("/api/listings/", body, content_type="application/json")
    assert response.status_code == 400
    assert not Listing.objects.exists()


def _demand_payload(org, **extra):
    return {"organisation": org.pk, "title": "寻求低功耗组网技术", "problem": "节点功耗高", "ipc_codes": ["H04W 52/02"],
            "deal_types": ["licence"], "deadline": (dt.date.today() + dt.timedelta(days=60)).isoformat(), **extra}


@pytest.mark.parametrize("field", ["budget_min", "budget_max"])
def test_demand_api_refuses_budgets_beyond_the_maximum(demander, demand_org, field):
    response = token_client(demander).post("/api/demands/", _demand_payload(demand_org, **{field: TWO_63}), format="json")
    assert response.status_code == 400 and field in error_fields(response)
    assert not Demand.objects.exists()


def test_demand_page_refuses_a_huge_budget(demander, demand_org):
    client = Client()
    client.force_login(demander)
    form = {"organisation": demand_org.pk, "title": "需求", "problem": "问题", "ipc_codes": "H04W",
            "budget_min": "", "budget_max": "92233720368547758.08", "deal_types": ["licence"],
            "deadline": (dt.date.today() + dt.timedelta(days=60)).isoformat(), "visibility": "public"}
    response = client.post("/demands/new/", form)
    assert response.status_code == 200 and response.context["form"].errors["budget_max"]
    assert not Demand.objects.exists()


def test_services_refuse_raw_amounts_beyond_the_maximum():
    from listings.trading.services.rules import Terms, check_terms
    from marketplace.kernel.statemachine import Rules

    rules = Rules()
    check_terms(rules, Terms(title="t", description="", deal_type="assignment", price_amount=2**53, price_currency="CNY"),
                today=dt.date.today())
    assert ("price_amount", "amount_too_large") in {(f, c) for f, c, _ in rules.violations}


# 19 · unique-constraint races ------------------------------------------------------------------------------------
def test_signup_race_on_the_username_is_a_form_error(db, monkeypatch):
    from allauth.account.adapter import DefaultAccountAdapter

    # the parallel sign-up has committed "zhangwei" just after this form checked that the name was free
    get_user_model().objects.create_user("zhangwei", "other@example.cn", "another-password-123")
    monkeypatch.setattr(DefaultAccountAdapter, "clean_username", lambda self, username, shallow=False: username)
    response = Client().post("/accounts/signup/", {"email": "zw@example.cn", "username": "zhangwei",
                                                   "password1": "a-Long-password-9", "password2": "a-Long-password-9"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert get_user_model().objects.filter(username="zhangwei").count() == 1
    assert not get_user_model().objects.filter(email="zw@example.cn").exists()


def test_saved_search_race_on_the_name_is_a_400(demander, monkeypatch):
    real_filter = SavedSearch.objects.filter

    class Racing:
        """The pre-check sees no duplicate, as a parallel request would just before the other one commits."""

        def __init__(self, queryset):
            self.queryset = queryset

        def exists(self):
            SavedSearch.objects.create(user=demander, name="光通信", scope="patents", params={})
            return False

        def count(self):
            return self.queryset.count()

    def filter_(*args, **kwargs):
        queryset = real_filter(*args, **kwargs)
        return Racing(queryset) if "name" in kwargs else queryset

    monkeypatch.setattr(SavedSearch.objects, "filter", filter_)
    response = token_client(demander).post("/api/saved-searches/", {"name": "光通信", "scope": "patents", "params": {}},
                                           format="json")
    assert response.status_code == 400, response.content
    assert "name" in error_fields(response)  # (the "parallel" row rolls back with this request's transaction here)


# 20 · caps on lengths and counts ---------------------------------------------------------------------------------
def test_an_enormous_demand_problem_is_refused_everywhere(demander, demand_org, make_demand):
    huge = "专利" * 404_445  # 808,890 characters
    response = token_client(demander).post("/api/demands/", _demand_payload(demand_org, problem=huge), format="json")
    assert response.status_code == 400 and "problem" in error_fields(response)
    with pytest.raises(RuleBroken) as caught:
        make_demand(problem="x" * (TEXT_MAX + 1))
    assert ("problem", "too_long") in {(f, c) for f, c, _ in caught.value.violations}
    with pytest.raises(RuleBroken):
        make_demand(ipc_codes=[f"H04W {n}/00" for n in range(1, 40)])
    assert not Demand.objects.exists()


def test_listing_description_is_capped(make_listing):
    with pytest.raises(RuleBroken) as caught:
        make_listing(description="x" * (TEXT_MAX + 1))
    assert ("description", "too_long") in {(f, c) for f, c, _ in caught.value.violations}


def test_saved_searches_per_user_are_capped(demander):
    for n in range(SAVED_SEARCHES_PER_USER):
        SavedSearch.objects.create(user=demander, name=f"检索{n}", scope="patents", params={})
    with pytest.raises(matching_services.SavedSearchError) as caught:
        matching_services.saved_search_create(user=demander, name="再一个", scope="patents", params={})
    assert caught.value.field == "name"
    assert SavedSearch.objects.filter(user=demander).count() == SAVED_SEARCHES_PER_USER


def test_match_refresh_is_rate_limited(make_demand, demander, publish_demand, django_capture_on_commit_callbacks):
    demand = make_demand()
    publish_demand(demand, owner=demander)
    with django_capture_on_commit_callbacks(execute=False) as first:
        matching_services.demand_matches_refresh_request(demand=demand, by=demander)
    assert len(first) == 1
    with pytest.raises(TooSoon), django_capture_on_commit_callbacks(execute=False) as second:
        matching_services.demand_matches_refresh_request(demand=demand, by=demander)
    assert second == []
    client = Client()
    client.force_login(demander)
    page = client.post(f"/demands/{demand.pk}/matches/", follow=True)
    assert page.status_code == 200 and "秒后再试" in page.content.decode()


def test_api_writes_are_throttled(write_rate, holder, holder_org, patent):
    write_rate("3/min")
    client = token_client(holder)
    payload = {"organisation": holder_org.pk, "title": "转让", "patents": [patent.publication_number],
               "deal_type": "assignment", "price_amount": 100}
    statuses = [client.post("/api/listings/", payload, format="json").status_code for _ in range(4)]
    assert statuses[3] == 429
    assert client.get("/api/listings/").status_code == 200  # reads are not counted


def test_demand_kwargs_helper_is_within_the_caps():
    assert len(demand_kwargs()["problem"]) <= TEXT_MAX
