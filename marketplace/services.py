"""Organisations, their verification by operators, and memberships (who acts for whom, in which role).

An organisation is verified only by an operator and only with a valid Unified Social Credit Code
(GB 32100-2015); every decision leaves an ``OrganisationReview`` row with who and why, then the
organisation's members are told.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from marketplace import permissions
from marketplace.identifiers import parse_uscc
from marketplace.kernel.errors import IdentifierError, NotPermitted
from marketplace.kernel.statemachine import IllegalTransition, RuleBroken, Rules
from marketplace.kernel.typing import Viewer
from marketplace.models import Membership, Organisation, OrganisationReview
from marketplace.notifications import notify, text
from marketplace.signals import organisation_verification_revoked
from marketplace.verbs import Verb

#: roles a user may give themselves when registering an organisation; operators are appointed
SELF_SERVICE_ROLES = (
    Membership.Role.HOLDER,
    Membership.Role.DEMAND,
    Membership.Role.BROKER,
    Membership.Role.LENDER,
)


def require_operator(user: Viewer | None) -> None:
    if not permissions.is_operator(user):
        raise NotPermitted("仅运营人员可以审核 / only operators may review")


def require_role(*, user: Viewer, organisation: Organisation, roles: Iterable[str]) -> None:
    if not permissions.has_role(user, organisation, roles):
        names = "、".join(str(Membership.Role(r).label) for r in roles)
        raise NotPermitted(f"您不是“{organisation}”的{names} / you do not act for {organisation} in role {list(roles)}")


def organisation_members(organisation: Organisation) -> list[User]:
    """Everyone who acts for the organisation, whatever their role."""
    return [m.user for m in organisation.memberships.select_related("user")]


def operators() -> list[User]:
    """The exchange's staff: Django staff and members in the operator role."""
    return list(
        User.objects.filter(Q(is_staff=True) | Q(memberships__role=Membership.Role.OPERATOR), is_active=True).distinct()
    )


def _clean_uscc(rules: Rules, uscc: str, *, exclude_pk: int | None = None) -> str | None:
    if not uscc:
        return None
    try:
        value = parse_uscc(uscc)
    except IdentifierError as exc:
        rules.add("uscc", "uscc_invalid", str(exc))
        return None
    taken = Organisation.objects.filter(uscc=value)
    if exclude_pk is not None:  # exclude(pk=None) would exclude nothing
        taken = taken.exclude(pk=exclude_pk)
    rules.check(not taken.exists(), "uscc", "uscc_taken", "该统一社会信用代码已被其他机构使用 / this USCC is already registered")
    return value


@transaction.atomic
def organisation_create(
    *, name: str, uscc: str, kind: str, role: str, by: User, contact: str = "", description: str = ""
) -> Organisation:
    """A user registers the organisation they act for; it waits for an operator's verification."""
    rules = Rules()
    name = (name or "").strip()
    rules.check(bool(name), "name", "required", "请填写机构名称 / name is required")
    if name:
        rules.check(
            not Organisation.objects.filter(name=name).exists(), "name", "name_taken",
            "同名机构已存在 / an organisation with this name exists",
        )
    rules.check(bool(uscc), "uscc", "required", "请填写统一社会信用代码 / the USCC is required")
    value = _clean_uscc(rules, uscc)
    rules.check(kind in Organisation.Kind.values, "kind", "invalid_choice", f"未知机构类型 / unknown kind {kind!r}")
    rules.check(
        role in SELF_SERVICE_ROLES, "role", "role_not_self_service",
        "运营人员角色由交易所指定 / the operator role is appointed, not chosen",
    )
    rules.raise_if_any()
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                name=name, uscc=value, kind=kind, contact=contact, description=description
            )
    except IntegrityError:  # a concurrent registration took the name or code between check and insert
        raise RuleBroken([("uscc", "uscc_taken", "机构名称或统一社会信用代码已被使用 / name or USCC already registered")])
    Membership.objects.create(user=by, organisation=organisation, role=role)
    return organisation


@transaction.atomic
def membership_add(*, organisation: Organisation, user: User, role: str, by: User) -> Membership:
    """Operators add people to organisations (and appoint operators)."""
    require_operator(by)
    rules = Rules()
    rules.check(role in Membership.Role.values, "role", "invalid_choice", f"未知角色 / unknown role {role!r}")
    rules.raise_if_any()
    membership, _ = Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
    return membership


def _review(organisation: Organisation, decision: str, by, reason: str) -> OrganisationReview:
    return OrganisationReview.objects.create(organisation=organisation, decision=decision, by=by, reason=reason)


@transaction.atomic
def organisation_verify(*, organisation: Organisation, by: User, reason: str = "") -> Organisation:
    require_operator(by)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.is_verified:
        raise IllegalTransition("organisation", "verify", "verified")
    rules = Rules()
    if not organisation.uscc:
        rules.add("uscc", "uscc_required", "未填写统一社会信用代码，不能认证 / an organisation without a USCC cannot be verified")
    else:
        try:
            parse_uscc(organisation.uscc)
        except IdentifierError as exc:
            rules.add("uscc", "uscc_invalid", str(exc))
    rules.raise_if_any()
    organisation.is_verified = True
    organisation.verified_at = timezone.now()
    organisation.verified_by = by
    organisation.save(update_fields=["is_verified", "verified_at", "verified_by", "updated_at"])
    _review(organisation, OrganisationReview.Decision.VERIFIED, by, reason)
    notify(
        users=organisation_members(organisation), verb=Verb.ORGANISATION_VERIFIED,
        title=text(gettext_lazy("机构“{name}”已通过认证"), name=organisation.name), body=reason,
    )
    return organisation


@transaction.atomic
def organisation_verification_reject(*, organisation: Organisation, by: User, reason: str) -> Organisation:
    require_operator(by)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.is_verified:
        raise IllegalTransition("organisation", "reject", "verified")
    rules = Rules()
    rules.check(bool((reason or "").strip()), "reason", "reason_required", "请填写未通过的原因 / a reason is required")
    rules.raise_if_any()
    _review(organisation, OrganisationReview.Decision.REJECTED, by, reason.strip())
    notify(
        users=organisation_members(organisation), verb=Verb.ORGANISATION_REJECTED,
        title=text(gettext_lazy("机构“{name}”认证未通过"), name=organisation.name), body=reason.strip(),
    )
    return organisation


@transaction.atomic
def organisation_verification_revoke(*, organisation: Organisation, by: User, reason: str) -> Organisation:
    require_operator(by)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not organisation.is_verified:
        raise IllegalTransition("organisation", "revoke", "unverified")
    rules = Rules()
    rules.check(bool((reason or "").strip()), "reason", "reason_required", "请填写撤销认证的原因 / a reason is required")
    rules.raise_if_any()
    organisation.is_verified = False
    organisation.verified_at = None
    organisation.verified_by = None
    organisation.save(update_fields=["is_verified", "verified_at", "verified_by", "updated_at"])
    _review(organisation, OrganisationReview.Decision.REVOKED, by, reason.strip())
    # trading suspends the organisation's public listings and demands; re-verification restores none of them
    organisation_verification_revoked.send(sender=Organisation, organisation=organisation, by=by, reason=reason.strip())
    notify(
        users=organisation_members(organisation), verb=Verb.ORGANISATION_REVOKED,
        title=text(gettext_lazy("机构“{name}”的认证已被撤销"), name=organisation.name), body=reason.strip(),
    )
    return organisation
