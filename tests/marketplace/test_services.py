"""marketplace.services: organisations registered by users, verified by operators (valid USCC), memberships."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from listings.trading import permissions as listing_permissions
from marketplace import permissions
from marketplace import services as svc
from marketplace.kernel.statemachine import IllegalTransition
from marketplace.models import Membership, Notification, Organisation, OrganisationReview
from tests.factories import MembershipFactory, OrganisationFactory, make_uscc
from tests.listings.trading.helpers import breaks, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("founder", email="founder@example.cn", password="pw-123456")


def register(user, **overrides):
    values = {"name": "宝鸡钛业股份有限公司", "uscc": make_uscc(1), "kind": "enterprise", "role": "holder", "by": user}
    values.update(overrides)
    return svc.organisation_create(**values)


def test_register_then_verify(user, operator):
    organisation = register(user, uscc=make_uscc(1).lower())
    assert organisation.uscc == make_uscc(1) and not organisation.is_verified
    assert permissions.has_role(user, organisation, ["holder"])
    svc.organisation_verify(organisation=organisation, by=operator, reason="营业执照核对无误")
    organisation.refresh_from_db()
    assert organisation.is_verified and organisation.verified_by == operator and organisation.verified_at
    review = OrganisationReview.objects.get()
    assert (review.decision, review.by, review.reason) == ("verified", operator, "营业执照核对无误")
    assert Notification.objects.filter(recipient=user, verb="organisation.verified").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"uscc": ""}, "uscc", "required"),
        ({"uscc": "91320594MA1MXXXX"}, "uscc", "uscc_invalid"),  # 16 characters
        ({"uscc": make_uscc(1)[:17] + ("0" if make_uscc(1)[17] != "0" else "1")}, "uscc", "uscc_invalid"),  # check
        ({"uscc": "91320594MA1MIOZSV0"}, "uscc", "uscc_invalid"),  # I, O, Z, S, V are not used
        ({"name": " "}, "name", "required"),
        ({"kind": "club"}, "kind", "invalid_choice"),
        ({"role": "operator"}, "role", "role_not_self_service"),
    ],
)
def test_registration_rules(user, overrides, field, rule):
    with breaks(field, rule):
        register(user, **overrides)
    assert not Organisation.objects.exists() and not Membership.objects.exists()


def test_duplicates_refused(user):
    register(user)
    before = snapshot(Organisation)
    with breaks("uscc", "uscc_taken"):
        register(user, name="另一家公司")
    with breaks("name", "name_taken"):
        register(user, uscc=make_uscc(2))
    assert snapshot(Organisation) == before


def test_only_operators_verify(user, operator):
    organisation = register(user)
    with pytest.raises(svc.NotPermitted):
        svc.organisation_verify(organisation=organisation, by=user)
    assert not Organisation.objects.get().is_verified


def test_an_invalid_stored_uscc_cannot_be_verified(operator):
    organisation = OrganisationFactory(is_verified=False, uscc=None)
    with breaks("uscc", "uscc_required"):
        svc.organisation_verify(organisation=organisation, by=operator)
    Organisation.objects.filter(pk=organisation.pk).update(uscc="ABCDEFGHJKLMNPQRT0")  # imported without validation
    with breaks("uscc", "uscc_invalid"):
        svc.organisation_verify(organisation=organisation, by=operator)
    assert not Organisation.objects.get().is_verified and not OrganisationReview.objects.exists()


def test_reject_and_revoke_need_reasons(user, operator):
    organisation = register(user)
    with breaks("reason", "reason_required"):
        svc.organisation_verification_reject(organisation=organisation, by=operator, reason="")
    svc.organisation_verification_reject(organisation=organisation, by=operator, reason="名称与执照不符")
    assert Notification.objects.get(recipient=user, verb="organisation.rejected").body == "名称与执照不符"
    svc.organisation_verify(organisation=organisation, by=operator)
    with pytest.raises(IllegalTransition):
        svc.organisation_verify(organisation=organisation, by=operator)
    with breaks("reason", "reason_required"):
        svc.organisation_verification_revoke(organisation=organisation, by=operator, reason=" ")
    svc.organisation_verification_revoke(organisation=organisation, by=operator, reason="执照已吊销")
    organisation.refresh_from_db()
    assert not organisation.is_verified
    assert list(OrganisationReview.objects.values_list("decision", flat=True)) == ["rejected", "verified", "revoked"]


def test_memberships_and_operator_role(user, operator):
    organisation = register(user)
    with pytest.raises(svc.NotPermitted):
        svc.membership_add(organisation=organisation, user=user, role="operator", by=user)
    with breaks("role", "invalid_choice"):
        svc.membership_add(organisation=organisation, user=user, role="king", by=operator)
    exchange = OrganisationFactory(name="苏州知识产权交易中心")
    assert not permissions.is_operator(user)
    svc.membership_add(organisation=exchange, user=user, role="operator", by=operator)
    assert permissions.is_operator(user)


def test_permission_helpers(holder, holder_org, outsider, make_listing):
    listing = make_listing()
    assert listing_permissions.can_edit_listing(holder, listing) and not listing_permissions.can_edit_listing(outsider, listing)
    assert not listing_permissions.can_view_listing(outsider, listing)
    lender = MembershipFactory(organisation=holder_org, role=Membership.Role.LENDER).user
    assert not listing_permissions.can_manage_listing(lender, listing)  # a member, but not in a listing role
    from django.contrib.auth.models import AnonymousUser

    assert not permissions.is_operator(AnonymousUser()) and not listing_permissions.can_view_listing(AnonymousUser(), listing)
