"""The review page offers a verified organisation as the named patentee of its patents (issue 9: a new holder lists
its own patents without asking an operator to open the Django admin)."""
from __future__ import annotations

import pytest
from django.test import Client

from listings.catalogue.models import Patentee
from listings.catalogue.selectors import patentee_links_to_confirm
from listings.catalogue.services.patents import patentees_sync
from marketplace.models import Membership
from tests.factories import MembershipFactory, OperatorFactory, OrganisationFactory, PatentFactory, make_uscc

pytestmark = pytest.mark.django_db


def _patent(*applicants: str):
    patent = PatentFactory(applicants=list(applicants))
    patentees_sync(applicants={patent.pk: list(applicants)})
    return patent


@pytest.fixture
def member_org():
    org = OrganisationFactory(name="科大讯飞(北京)有限公司", uscc=make_uscc(41), is_verified=True)
    MembershipFactory(organisation=org, role=Membership.Role.HOLDER)
    return org


def test_matches_by_name_or_code_only_for_verified_member_organisations(member_org):
    _patent("科大讯飞（北京）有限公司")  # the other bracket width
    _patent("科大讯飞（北京）有限公司", "清华大学")
    by_code = Patentee.objects.create(name="讯飞北京分部", uscc=make_uscc(42))
    OrganisationFactory(name="清华大学", uscc=make_uscc(43), is_verified=True)  # no member: nobody to list
    unverified = OrganisationFactory(name="武汉光电研究院", uscc=make_uscc(44), is_verified=False)
    MembershipFactory(organisation=unverified, role=Membership.Role.HOLDER)
    _patent("武汉光电研究院")
    coded = OrganisationFactory(name="另一家公司", uscc=by_code.uscc, is_verified=True)
    MembershipFactory(organisation=coded, role=Membership.Role.HOLDER)

    matches = patentee_links_to_confirm()
    assert [(m.organisation.name, m.patentee.name, m.patents) for m in matches] == [
        ("科大讯飞(北京)有限公司", "科大讯飞（北京）有限公司", 2),
        ("另一家公司", "讯飞北京分部", 0),
    ]


def test_a_linked_patentee_is_no_longer_offered(member_org):
    _patent("科大讯飞（北京）有限公司")
    Patentee.objects.update(organisation=member_org)
    assert patentee_links_to_confirm() == []


def test_the_operator_confirms_on_the_review_page(member_org):
    _patent("科大讯飞（北京）有限公司")
    patentee = Patentee.objects.get()
    operator = Client()
    operator.force_login(OperatorFactory())
    page = operator.get("/review/").content.decode()
    assert f'data-patentee="{patentee.pk}"' in page and "科大讯飞（北京）有限公司" in page

    # a member may not confirm it, and an operator must say which organisation
    member = Client()
    member.force_login(member_org.memberships.get().user)
    assert member.post(f"/review/patentees/{patentee.pk}/confirm/", {"organisation": member_org.pk}).status_code == 403
    response = operator.post(f"/review/patentees/{patentee.pk}/confirm/", {"organisation": "x"}, follow=True)
    assert "请选择要确认的机构" in response.content.decode()
    patentee.refresh_from_db()
    assert patentee.organisation is None

    response = operator.post(f"/review/patentees/{patentee.pk}/confirm/", {"organisation": member_org.pk})
    assert response.status_code == 302
    patentee.refresh_from_db()
    assert patentee.organisation == member_org and patentee.uscc == member_org.uscc
    assert f'data-patentee="{patentee.pk}"' not in operator.get("/review/").content.decode()


def test_an_unverified_organisation_is_refused_with_the_reason(member_org):
    _patent("武汉光电研究院")
    org = OrganisationFactory(name="武汉光电研究院", uscc=make_uscc(45), is_verified=False)
    operator = Client()
    operator.force_login(OperatorFactory())
    patentee = Patentee.objects.get(name="武汉光电研究院")
    response = operator.post(f"/review/patentees/{patentee.pk}/confirm/", {"organisation": org.pk}, follow=True)
    assert "尚未通过认证" in response.content.decode()
    patentee.refresh_from_db()
    assert patentee.organisation is None
