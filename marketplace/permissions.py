"""Who acts for whom: operators, organisations and roles. Each domain builds its object permissions on these
(``listings/trading/permissions.py``, ``listings/demands/permissions.py``), so pages, the API and consumers agree."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from rest_framework.permissions import BasePermission

from marketplace.kernel.typing import User, Viewer
from marketplace.models import Membership, Organisation


def signed_in(user: Viewer | None) -> User | None:
    """The user when signed in and active; ``None`` for anonymous visitors, inactive accounts and the system."""
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


def is_authenticated(user: Viewer | None) -> bool:
    return signed_in(user) is not None


def is_operator(user: Viewer | None) -> bool:
    """Exchange staff: ``is_staff`` or a membership in the operator role."""
    member = signed_in(user)
    if member is None:
        return False
    return member.is_staff or Membership.objects.filter(user=member, role=Membership.Role.OPERATOR).exists()


def organisations_for(user: Viewer | None, roles: Iterable[str] | None = None) -> QuerySet[Organisation]:
    """The organisations ``user`` acts for (in any of ``roles`` when given)."""
    member = signed_in(user)
    if member is None:
        return Organisation.objects.none()
    memberships = Membership.objects.filter(user=member)
    if roles:
        memberships = memberships.filter(role__in=list(roles))
    return Organisation.objects.filter(pk__in=memberships.values("organisation_id"))


def has_role(user: Viewer | None, organisation: Organisation | None, roles: Iterable[str]) -> bool:
    member = signed_in(user)
    if member is None or organisation is None:
        return False
    return Membership.objects.filter(user=member, organisation=organisation, role__in=list(roles)).exists()


def is_member(user: Viewer | None, organisation: Organisation | None) -> bool:
    member = signed_in(user)
    if member is None or organisation is None:
        return False
    return Membership.objects.filter(user=member, organisation=organisation).exists()


# --------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------
def can_review(user: Viewer | None) -> bool:
    """Only operators review listings, demands, authorisations and organisations."""
    return is_operator(user)


class IsOperator(BasePermission):
    """DRF: only the exchange's operators."""

    message = "仅运营人员可以审核 / only operators review"

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_operator(request.user)
