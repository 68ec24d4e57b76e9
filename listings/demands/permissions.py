"""Who may see, manage and edit a demand (object-level permissions of the demands domain)."""
from __future__ import annotations

from typing import Any

from django.db.models import Q

from listings.demands.models import DEMAND_PUBLIC_STATUSES
from marketplace.models import Membership
from marketplace.permissions import has_role, is_authenticated, is_operator, organisations_for

DEMAND_ROLES = (Membership.Role.DEMAND, Membership.Role.BROKER)


# --------------------------------------------------------------------------------------------
# Demands
# --------------------------------------------------------------------------------------------
def can_manage_demand(user: Any, demand: Any) -> bool:
    return has_role(user, demand.organisation, DEMAND_ROLES)


def can_edit_demand(user: Any, demand: Any) -> bool:
    return demand.is_editable and can_manage_demand(user, demand)


def can_view_demand(user: Any, demand: Any) -> bool:
    return demand.is_public or can_manage_demand(user, demand) or is_operator(user)


def can_see_demand_organisation(user: Any, demand: Any) -> bool:
    """An anonymous demand hides its organisation from the public; owners and operators still see it."""
    return not demand.is_anonymous or can_manage_demand(user, demand) or is_operator(user)


def visible_demands_q(user: Any) -> Q:
    if is_operator(user):
        return Q()
    q = Q(status__in=DEMAND_PUBLIC_STATUSES)
    if is_authenticated(user):
        q |= Q(organisation__in=organisations_for(user, DEMAND_ROLES))
    return q


