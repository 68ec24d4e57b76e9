"""A registered organisation confirmed as a named patentee lists its patents without an authorisation; transfers wait for the new owner."""
from __future__ import annotations

import pytest

from listings.catalogue.models import Patentee, PatenteeRole, PatentPatentee
from listings.catalogue.services.patentees import patent_owner_record, patentee_link_confirm
from listings.catalogue.services.patents import patentees_sync
from listings.trading.models import DealType, Listing, ListingStatus
from listings.trading.services import editing
from listings.trading.services import lifecycle as svc
from marketplace.kernel.errors import NotPermitted
from marketplace.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory, PatentFactory, make_uscc

from .helpers import breaks


@pytest.fixture
def xunfei(db):
    return OrganisationFactory(name="科大讯飞股份有限公司", uscc=make_uscc(7), is_verified=True)


@pytest.fixture
def xunfei_holder(xunfei):
    return MembershipFactory(organisation=xunfei, role=Membership.Role.HOLDER).user


def _patent(applicants, **kwargs):
    patent = PatentFactory(applicants=applicants, **kwargs)
    patentees_sync(applicants={patent.pk: applicants})
    return patent


def _create(org, user, patent):
    return editing.listing_create(organisation=org, by=user, patents=[patent], title="语音检索专利转让",
                              deal_type=DealType.ASSIGNMENT)


def test_confirmed_patentee_lists_without_authorisation(xunfei, xunfei_holder, operator):
    patent = _patent(["科大讯飞股份有限公司", "清华大学"])
    listing = _create(xunfei, xunfei_holder, patent)
    with breaks("authorisation", "not_patentee"):
        svc.listing_submit(listing=listing, by=xunfei_holder)

    patentee = Patentee.objects.get(name="科大讯飞股份有限公司")
    with pytest.raises(NotPermitted):
        patentee_link_confirm(organisation=xunfei, patentee=patentee, by=xunfei_holder)
    linked = patentee_link_confirm(organisation=xunfei, patentee=patentee, by=operator)
    assert linked.organisation == xunfei and linked.linked_by == operator and linked.uscc == xunfei.uscc

    svc.listing_submit(listing=listing, by=xunfei_holder)
    svc.listing_review_start(listing=listing, by=operator)
    svc.listing_approve(listing=listing, by=operator)
    assert Listing.objects.get().status == ListingStatus.PUBLISHED


def test_link_needs_the_same_name_or_credit_code(xunfei, operator):
    _patent(["清华大学"])
    with breaks("patentee", "patentee_mismatch"):
        patentee_link_confirm(organisation=xunfei, patentee=Patentee.objects.get(name="清华大学"), by=operator)
    half_width = OrganisationFactory(name="科大讯飞(北京)有限公司", is_verified=True)
    _patent(["科大讯飞（北京）有限公司"])
    patentee = Patentee.objects.get(name="科大讯飞（北京）有限公司")
    assert patentee_link_confirm(organisation=half_width, patentee=patentee, by=operator).organisation == half_width


def test_transfer_record_waits_for_the_new_owner(xunfei, xunfei_holder, operator):
    patent = _patent(["科大讯飞股份有限公司"], legal_status_text="专利权转移")
    patentee_link_confirm(organisation=xunfei, patentee=Patentee.objects.get(name="科大讯飞股份有限公司"), by=operator)
    listing = _create(xunfei, xunfei_holder, patent)
    with breaks("patents", "transfer_owner_unrecorded"):
        svc.listing_submit(listing=listing, by=xunfei_holder)

    new_org = OrganisationFactory(name="安徽听见科技有限公司", is_verified=True)
    new_user = MembershipFactory(organisation=new_org, role=Membership.Role.HOLDER).user
    new_owner = Patentee.objects.create(name="安徽听见科技有限公司")
    with breaks("reason", "reason_required"):
        patent_owner_record(patent=patent, patentee=new_owner, by=operator, reason="")
    patent_owner_record(patent=patent, patentee=new_owner, by=operator, reason="CNIPA 著录项目变更通知书")
    assert PatentPatentee.objects.filter(patent=patent, role=PatenteeRole.RECORDED_OWNER).count() == 1
    # the former holder still may not list it; the new owner, once confirmed, may
    with breaks("authorisation", "not_patentee"):
        svc.listing_submit(listing=listing, by=xunfei_holder)
    patentee_link_confirm(organisation=new_org, patentee=new_owner, by=operator)
    svc.listing_submit(listing=_create(new_org, new_user, patent), by=new_user)
