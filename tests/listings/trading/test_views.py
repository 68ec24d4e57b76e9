"""Pages: boards, details, my pages, create/edit/submit flows with uploads, the review queue; other
organisations' objects are 404 or 403 and never show their data."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from listings.catalogue.models import LegalStatus
from listings.catalogue.services import register
from listings.demands.models import Demand, DemandStatus, Visibility
from listings.trading.models import DealType, Listing, ListingStatus
from listings.trading.services import attachments
from listings.trading.services import lifecycle as svc
from marketplace.kernel.money import Money
from marketplace.models import Membership, Organisation
from tests.factories import (
    IndustryFactory,
    MembershipFactory,
    OrganisationFactory,
    PatentFactory,
    ZoneFactory,
    make_uscc,
)

from .test_uploads import EXE_BYTES, PDF_BYTES, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(make_listing, holder, publish):
    return publish(make_listing(), owner=holder)


def test_board_shows_published_listings_only(client, make_listing, published, holder, holder_org):
    # another patent: nothing else may be offered beside a live assignment
    draft = make_listing(title="尚未提交的草稿", deal_type=DealType.LICENCE, licence_kind="non_exclusive",
                         patents=[PatentFactory(holders=[holder_org])])
    page = client.get("/listings/")
    assert page.status_code == 200
    html = page.content.decode()
    assert published.title in html and draft.title not in html
    assert "¥500,000.00" in html and "苏州纳微新材料有限公司" in html


def test_board_filters(client, holder_org, holder, publish, make_listing):
    zone = ZoneFactory(code="SZ", name_zh="苏州工业园区")
    industry = IndustryFactory(code="NANO", name_zh="纳米技术应用")
    nano = PatentFactory(holders=[holder_org], ipc=["B82Y30/00"])
    nano.zones.add(zone)
    nano.industries.add(industry)
    optical = PatentFactory(holders=[holder_org], ipc=["H04B10/25"])
    cheap = publish(make_listing(title="纳米挂牌", patents=[nano], price=Money.parse("10000")), owner=holder)
    dear = publish(
        make_listing(title="光通信许可", patents=[optical], deal_type=DealType.LICENCE,
                     licence_kind="non_exclusive", price=None, royalty_rate_bps=300),
        owner=holder,
    )

    def titles(**params):
        response = client.get("/listings/", params)
        return {listing.title for listing in response.context["page"].object_list}

    assert titles() == {cheap.title, dear.title}
    assert titles(deal_type="licence") == {dear.title}
    assert titles(ipc="H04B") == {dear.title}
    assert titles(ipc="B82Y 30/00") == {cheap.title}
    assert titles(zone="SZ") == {cheap.title}
    assert titles(industry="NANO") == {cheap.title}
    assert titles(price_min="5000", price_max="20000") == {cheap.title, dear.title}  # 面议 included by default
    assert titles(price_min="5000", price_max="20000", negotiable="0") == {cheap.title}
    assert titles(price_min="20000.01") == {dear.title}
    bad = client.get("/listings/", {"price_min": "1.2.3", "ipc": "Z99"})
    assert bad.status_code == 200
    assert {e.param for e in bad.context["filters"].errors} == {"price_min", "ipc"}
    assert list(bad.context["page"].object_list) == []


def test_detail_shows_patent_terms_and_organisation(client, published, patent):
    html = client.get(f"/listings/{published.pk}/").content.decode()
    assert patent.publication_number in html and patent.application_number in html
    assert "苏州纳微新材料有限公司" in html and "转让" in html


def test_other_organisations_drafts_are_404(client, make_listing, outsider, holder):
    draft = make_listing()
    client.force_login(outsider)
    assert client.get(f"/listings/{draft.pk}/").status_code == 404
    assert client.get(f"/listings/{draft.pk}/edit/").status_code == 404
    assert client.post(f"/listings/{draft.pk}/submit/").status_code == 404
    assert client.post(f"/listings/{draft.pk}/files/", {"kind": "image"}).status_code == 404
    assert Listing.objects.get().status == ListingStatus.DRAFT
    client.logout()
    assert client.get(f"/listings/{draft.pk}/").status_code == 404


def test_other_organisations_published_listing_is_403_to_act_on(client, published, outsider):
    client.force_login(outsider)
    assert client.get(f"/listings/{published.pk}/").status_code == 200
    assert client.get(f"/listings/{published.pk}/edit/").status_code == 403
    assert client.post(f"/listings/{published.pk}/withdraw/").status_code == 403
    assert Listing.objects.get().status == ListingStatus.PUBLISHED
    assert "listing-manage" not in client.get(f"/listings/{published.pk}/").content.decode()


def test_create_edit_upload_submit_flow(client, holder, holder_org, patent):
    client.force_login(holder)
    form = {
        "organisation": holder_org.pk, "title": "纳米银线导电膜专利许可", "description": "触控面板用",
        "patent_numbers": patent.publication_number, "deal_type": "licence", "licence_kind": "",
        "price": "", "royalty_rate": "3.5",
    }
    response = client.post("/listings/new/", form)
    assert response.status_code == 200
    assert response.context["form"].errors["licence_kind"]  # the rule names its field
    assert not Listing.objects.exists()

    form["licence_kind"] = "exclusive"
    form["price"] = "12,000.50"
    response = client.post("/listings/new/", form)
    listing = Listing.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/listings/{listing.pk}/"
    assert listing.price == Money(1_200_050) and listing.royalty_rate_bps == 350

    response = client.post(f"/listings/{listing.pk}/edit/", {**form, "price": "0"})
    assert response.context["form"].errors["price"]
    response = client.post(f"/listings/{listing.pk}/edit/", {**form, "patent_numbers": "CN999999999B"})
    assert "CN999999999B" in response.context["form"].errors["patent_numbers"][0]

    forged = SimpleUploadedFile("photo.png", EXE_BYTES)
    response = client.post(f"/listings/{listing.pk}/files/", {"kind": "image", "file": forged}, follow=True)
    assert "不支持的文件类型" in response.content.decode()
    image = SimpleUploadedFile("效果图.png", png_bytes())
    client.post(f"/listings/{listing.pk}/files/", {"kind": "image", "file": image})
    attachment = listing.attachments.get()
    assert client.get(f"/listings/{listing.pk}/files/{attachment.pk}/")["Content-Type"] == "image/png"

    client.post(f"/listings/{listing.pk}/submit/")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.SUBMITTED
    assert client.get("/me/listings/").context["page"].object_list[0] == listing


def test_authorisation_file_is_private(client, make_listing, holder, publish, outsider, operator):
    listing = make_listing()
    attachments.listing_attachment_add(listing=listing, by=holder, upload=SimpleUploadedFile("授权书.pdf", PDF_BYTES),
                               kind="authorisation")
    attachments.listing_attachment_add(listing=listing, by=holder, upload=SimpleUploadedFile("说明.pdf", PDF_BYTES),
                               kind="document")
    publish(listing, owner=holder)
    authorisation = listing.attachments.get(kind="authorisation")
    document = listing.attachments.get(kind="document")
    client.force_login(outsider)
    assert client.get(f"/listings/{listing.pk}/files/{document.pk}/").status_code == 200
    assert client.get(f"/listings/{listing.pk}/files/{authorisation.pk}/").status_code == 404
    assert "授权书.pdf" not in client.get(f"/listings/{listing.pk}/").content.decode()
    client.force_login(operator)
    assert client.get(f"/listings/{listing.pk}/files/{authorisation.pk}/").status_code == 200


def test_review_queue_is_for_operators(client, make_listing, holder, operator, outsider):
    listing = make_listing()
    svc.listing_submit(listing=listing, by=holder)
    for user in (holder, outsider):
        client.force_login(user)
        assert client.get("/review/").status_code == 403
        assert client.post(f"/review/listings/{listing.pk}/review_start/").status_code == 403
    client.logout()
    assert client.get("/review/").status_code == 302  # to login
    client.force_login(operator)
    page = client.get("/review/")
    assert listing.title in page.content.decode()
    client.post(f"/review/listings/{listing.pk}/review_start/")
    response = client.post(f"/review/listings/{listing.pk}/reject/", {"reason": ""}, follow=True)
    assert "请填写原因" in response.content.decode()
    listing.refresh_from_db()
    assert listing.status == ListingStatus.IN_REVIEW
    client.post(f"/review/listings/{listing.pk}/approve/", {"reason": "核验通过"})
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED


def test_review_illegal_move_is_reported_not_applied(client, make_listing, operator):
    listing = make_listing()
    client.force_login(operator)
    response = client.post(f"/review/listings/{listing.pk}/approve/", follow=True)
    assert "不允许" in response.content.decode()
    assert Listing.objects.get().status == ListingStatus.DRAFT


def test_operator_verifies_organisations_in_the_queue(client, operator, db):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("newfirm", password="pw-123456")
    client.force_login(user)
    response = client.post("/me/organisations/", {"name": "长春生物制药有限公司", "uscc": "91220101MA0Y12345X",
                                                   "kind": "enterprise", "role": "demand"})
    assert response.context["form"].errors["uscc"]
    client.post("/me/organisations/", {"name": "长春生物制药有限公司", "uscc": make_uscc(77), "kind": "enterprise",
                                       "role": "demand"})
    organisation = Organisation.objects.get(name="长春生物制药有限公司")
    assert not organisation.is_verified
    assert Membership.objects.filter(user=user, organisation=organisation, role="demand").exists()
    client.force_login(operator)
    assert "长春生物制药有限公司" in client.get("/review/").content.decode()
    client.post(f"/review/organisations/{organisation.pk}/verify/")
    organisation.refresh_from_db()
    assert organisation.is_verified and organisation.verified_by == operator


def test_demand_board_hides_anonymous_organisations(client, make_demand, demander, publish_demand, outsider, operator):
    public = publish_demand(make_demand(title="公开需求"), owner=demander)
    anonymous = publish_demand(make_demand(title="匿名需求", visibility=Visibility.ANONYMOUS), owner=demander)
    draft = make_demand(title="需求草稿")
    html = client.get("/demands/").content.decode()
    assert public.title in html and anonymous.title in html and draft.title not in html
    assert html.count("杭州物联感知科技有限公司") == 1
    detail = client.get(f"/demands/{anonymous.pk}/").content.decode()
    assert "杭州物联感知科技有限公司" not in detail and "匿名企业" in detail
    client.force_login(outsider)
    assert "杭州物联感知科技有限公司" not in client.get(f"/demands/{anonymous.pk}/").content.decode()
    assert client.get(f"/demands/{draft.pk}/").status_code == 404
    assert client.post(f"/demands/{public.pk}/withdraw/").status_code == 403
    client.force_login(demander)
    assert "杭州物联感知科技有限公司" in client.get(f"/demands/{anonymous.pk}/").content.decode()
    client.force_login(operator)
    assert "杭州物联感知科技有限公司" in client.get(f"/demands/{anonymous.pk}/").content.decode()


def test_demand_board_filters(client, make_demand, demander, publish_demand):
    industry = IndustryFactory(code="IOT", name_zh="物联网")
    publish_demand(make_demand(title="物联网需求", deal_types=["licence"]), owner=demander)
    other = make_demand(title="产业需求", ipc_codes=[], industries=[industry], deal_types=["assignment"],
                        budget_max=Money.parse("50000"), budget_min=None)
    publish_demand(other, owner=demander)

    def titles(**params):
        return {d.title for d, _ in client.get("/demands/", params).context["page"].object_list}

    assert titles(deal_type="licence") == {"物联网需求"}
    assert titles(ipc="H04W") == {"物联网需求"}
    assert titles(industry="IOT") == {"产业需求"}
    assert titles(budget="600000") == {"物联网需求"}


def test_demand_create_form_reports_rules(client, demander, demand_org):
    client.force_login(demander)
    data = {
        "organisation": demand_org.pk, "title": "寻求钛合金表面处理技术", "problem": "耐磨性不足",
        "ipc_codes": "C23C 8/10", "budget_min": "900000", "budget_max": "100000", "deal_types": ["assignment"],
        "deadline": (dt.date.today() + dt.timedelta(days=30)).isoformat(), "visibility": "anonymous",
    }
    response = client.post("/demands/new/", data)
    assert response.context["form"].errors["budget_max"]
    assert not Demand.objects.exists()
    data["budget_min"] = "100000"
    data["budget_max"] = "900000"
    response = client.post("/demands/new/", data)
    demand = Demand.objects.get()
    assert response.status_code == 302 and demand.ipc_codes == ["C23C8/10"] and demand.budget_max == 90_000_000
    client.post(f"/demands/{demand.pk}/submit/")
    demand.refresh_from_db()
    assert demand.status == DemandStatus.SUBMITTED
    assert client.get("/me/demands/").context["page"].object_list[0] == demand


def test_open_licence_taken_from_the_page(client, make_listing, holder, publish, demander, demand_org):
    listing = publish(make_listing(deal_type=DealType.OPEN_LICENCE, price=None, royalty_rate_bps=150), owner=holder)
    client.force_login(demander)
    assert "open-licence-take" in client.get(f"/listings/{listing.pk}/").content.decode()
    client.post(f"/listings/{listing.pk}/open-licence/", {"organisation": demand_org.pk})
    assert listing.grants.get().licensee == demand_org


def test_suspended_listing_leaves_the_board(client, published, patent, operator):
    register.patent_legal_status_change(patent=patent, status=LegalStatus.INVALIDATED, by=operator, reason="无效宣告")
    assert published.title not in client.get("/listings/").content.decode()
    assert client.get(f"/listings/{published.pk}/").status_code == 404


def test_operator_suspends_from_the_detail_page(client, published, operator, holder):
    client.force_login(operator)
    html = client.get(f"/listings/{published.pk}/").content.decode()
    assert "listing-operate" in html and "暂停交易" in html and "通过并发布" not in html
    response = client.post(f"/review/listings/{published.pk}/suspend/", {"reason": "权属争议", "next": f"/listings/{published.pk}/"})
    assert response["Location"] == f"/listings/{published.pk}/"
    published.refresh_from_db()
    assert published.status == ListingStatus.SUSPENDED
    assert "恢复交易" in client.get(f"/listings/{published.pk}/").content.decode()
    client.force_login(holder)
    assert "listing-operate" not in client.get(f"/listings/{published.pk}/").content.decode()


def test_rejected_organisations_leave_the_queue(client, operator):
    from marketplace import services as org_services

    organisation = OrganisationFactory(name="被退回的机构", is_verified=False)
    MembershipFactory(organisation=organisation)
    client.force_login(operator)
    assert "被退回的机构" in client.get("/review/").content.decode()
    org_services.organisation_verification_reject(organisation=organisation, by=operator, reason="执照模糊")
    assert "被退回的机构" not in client.get("/review/").content.decode()


def test_review_queue_shows_who_registered_an_organisation(client, operator):
    org = OrganisationFactory(name="武汉光谷待认证科技有限公司", is_verified=False, contact="027-8888 0000")
    MembershipFactory(organisation=org, role="holder", user__username="applicant1", user__email="a1@example.cn")
    client.force_login(operator)
    html = client.get("/review/").content.decode()
    assert "武汉光谷待认证科技有限公司" in html
    assert "027-8888 0000" in html
    assert "applicant1" in html and "a1@example.cn" in html
