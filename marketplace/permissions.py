"""Who acts for whom: operators, organisations and roles. Each domain builds its object permissions on these
(``listings/trading/permissions.py``, ``listings/demands/permissions.py``), so pages, the API and consumers agree."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.permissions import BasePermission

from marketplace.models import Membership, Organisation


def is_authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_operator(user) -> bool:
    """Exchange staff: ``is_staff`` or a membership in the operator role."""
    if not is_authenticated(user):
        return False
    if user.is_staff:
        return True
    return Membership.objects.filter(user=user, role=Membership.Role.OPERATOR).exists()


def organisations_for(user, roles=None) -> QuerySet[Organisation]:
    """The organisations ``user`` acts for (in any of ``roles`` when given)."""
    if not is_authenticated(user):
        return Organisation.objects.none()
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=list(roles))
    return Organisation.objects.filter(pk__in=memberships.values("organisation_id"))


def has_role(user, organisation, roles) -> bool:
    if not is_authenticated(user) or organisation is None:
        return False
    return Membership.objects.filter(user=user, organisation=organisation, role__in=list(roles)).exists()


def is_member(user, organisation) -> bool:
    if not is_authenticated(user) or organisation is None:
        return False
    return Membership.objects.filter(user=user, organisation=organisation).exists()


# --------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------
def can_review(user) -> bool:
    """Only operators review listings, demands, authorisations and organisations."""
    return is_operator(user)


class IsOperator(BasePermission):
    """DRF: only the exchange's operators."""

    message = "仅运营人员可以审核 / only operators review"

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_operator(request.user)
