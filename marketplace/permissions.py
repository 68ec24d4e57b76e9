"""Who may do what to which object. Shared by pages, the API and consumers, so the answer is the same
everywhere: operators review; only members of the owning organisation, in a role that fits, manage
its listings and demands; everyone else sees public objects only."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from marketplace.models import Membership, Organisation

#: roles that may act for an organisation on each kind of object
LISTING_ROLES = (Membership.Role.HOLDER, Membership.Role.BROKER)
DEMAND_ROLES = (Membership.Role.DEMAND, Membership.Role.BROKER)


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_operator(user) -> bool:
    """Exchange staff: ``is_staff`` or a membership in the operator role."""
    if not _authenticated(user):
        return False
    if user.is_staff:
        return True
    return Membership.objects.filter(user=user, role=Membership.Role.OPERATOR).exists()


def organisations_for(user, roles=None) -> QuerySet[Organisation]:
    """The organisations ``user`` acts for (in any of ``roles`` when given)."""
    if not _authenticated(user):
        return Organisation.objects.none()
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=list(roles))
    return Organisation.objects.filter(pk__in=memberships.values("organisation_id"))


def has_role(user, organisation, roles) -> bool:
    if not _authenticated(user) or organisation is None:
        return False
    return Membership.objects.filter(user=user, organisation=organisation, role__in=list(roles)).exists()


def is_member(user, organisation) -> bool:
    if not _authenticated(user) or organisation is None:
        return False
    return Membership.objects.filter(user=user, organisation=organisation).exists()


# --------------------------------------------------------------------------------------------
# Listings
# --------------------------------------------------------------------------------------------
def can_manage_listing(user, listing) -> bool:
    """Submit, withdraw, upload to and see the private side of a listing: its organisation's members."""
    return has_role(user, listing.organisation, LISTING_ROLES)


def can_edit_listing(user, listing) -> bool:
    """Change a listing's content: its organisation, and only while it is a draft or sent back."""
    return listing.is_editable and can_manage_listing(user, listing)


def can_view_listing(user, listing) -> bool:
    return listing.is_public or can_manage_listing(user, listing) or is_operator(user)


def visible_listings_q(user) -> Q:
    """A filter for the listings ``user`` may see: public ones, their organisations' own, or all (operators)."""
    from listings.trading.models import PUBLIC_STATUSES

    if is_operator(user):
        return Q()
    q = Q(status__in=PUBLIC_STATUSES)
    if _authenticated(user):
        q |= Q(organisation__in=organisations_for(user, LISTING_ROLES))
    return q


# --------------------------------------------------------------------------------------------
# Demands
# --------------------------------------------------------------------------------------------
def can_manage_demand(user, demand) -> bool:
    return has_role(user, demand.organisation, DEMAND_ROLES)


def can_edit_demand(user, demand) -> bool:
    return demand.is_editable and can_manage_demand(user, demand)


def can_view_demand(user, demand) -> bool:
    return demand.is_public or can_manage_demand(user, demand) or is_operator(user)


def can_see_demand_organisation(user, demand) -> bool:
    """An anonymous demand hides its organisation from the public; owners and operators still see it."""
    return not demand.is_anonymous or can_manage_demand(user, demand) or is_operator(user)


def visible_demands_q(user) -> Q:
    from listings.demands.models import DEMAND_PUBLIC_STATUSES

    if is_operator(user):
        return Q()
    q = Q(status__in=DEMAND_PUBLIC_STATUSES)
    if _authenticated(user):
        q |= Q(organisation__in=organisations_for(user, DEMAND_ROLES))
    return q


# --------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------
def can_review(user) -> bool:
    """Only operators review listings, demands, authorisations and organisations."""
    return is_operator(user)
