"""Who may see, manage and edit a listing (object-level permissions of the trading domain)."""
from __future__ import annotations

from typing import Any

from django.db.models import Q

from listings.trading.models import PUBLIC_STATUSES
from marketplace.models import Membership
from marketplace.permissions import has_role, is_authenticated, is_operator, organisations_for

LISTING_ROLES = (Membership.Role.HOLDER, Membership.Role.BROKER)


# --------------------------------------------------------------------------------------------
# Listings
# --------------------------------------------------------------------------------------------
def can_manage_listing(user: Any, listing: Any) -> bool:
    """Submit, withdraw, upload to and see the private side of a listing: its organisation's members."""
    return has_role(user, listing.organisation, LISTING_ROLES)


def can_edit_listing(user: Any, listing: Any) -> bool:
    """Change a listing's content: its organisation, and only while it is a draft or sent back."""
    return listing.is_editable and can_manage_listing(user, listing)


def can_view_listing(user: Any, listing: Any) -> bool:
    return listing.is_public or can_manage_listing(user, listing) or is_operator(user)


def visible_listings_q(user: Any) -> Q:
    """A filter for the listings ``user`` may see: public ones, their organisations' own, or all (operators)."""
    if is_operator(user):
        return Q()
    q = Q(status__in=PUBLIC_STATUSES)
    if is_authenticated(user):
        q |= Q(organisation__in=organisations_for(user, LISTING_ROLES))
    return q




def can_view_attachment(user: Any, attachment: Any) -> bool:
    """Images and documents of a public listing are public; an authorisation, and the files of a listing that is
    not public, only to the listing's organisation and operators."""
    return attachment.is_public or can_manage_listing(user, attachment.listing) or is_operator(user)
