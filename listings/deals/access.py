"""Who may see and act in a deal: the parties' members, their accepted brokers, and operators."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from listings.deals.models import BrokerStatus, Deal, DealBroker, DealDocument, Side
from marketplace import permissions
from marketplace.models import Membership


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def party_side(user: User | None, deal: Deal) -> str | None:
    """``seller`` or ``buyer`` for a member of that organisation (its own people), else ``None``."""
    if not _authenticated(user):
        return None
    orgs = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
    if deal.seller_id in orgs:
        return Side.SELLER
    if deal.buyer_id in orgs:
        return Side.BUYER
    return None


def broker_side(user: User | None, deal: Deal) -> str | None:
    """The side an accepted broker organisation of ``user`` acts for in ``deal``."""
    if not _authenticated(user):
        return None
    row = (
        deal.brokers.filter(
            status=BrokerStatus.ACCEPTED,
            organisation__memberships__user=user,
            organisation__memberships__role=Membership.Role.BROKER,
        )
        .values_list("side", flat=True)
        .first()
    )
    return row


def acting_side(user: User | None, deal: Deal) -> str | None:
    """The side ``user`` negotiates for: their own organisation's, or the one their accepted broker represents."""
    return party_side(user, deal) or broker_side(user, deal)


def can_view_deal(user: User | None, deal: Deal) -> bool:
    """The room, its messages and documents: parties, accepted brokers, operators.

    One query (the room asks it for every chat frame it stores): a membership of ``user`` in either party, in an
    accepted broker organisation of the deal with the broker role, or in the operator role; or ``is_staff``.
    The same rule as ``acting_side(user, deal) is not None or permissions.is_operator(user)``."""
    if not _authenticated(user):
        return False
    assert user is not None
    if user.is_staff:
        return True
    accepted_brokers = DealBroker.objects.filter(deal_id=deal.pk, status=BrokerStatus.ACCEPTED).values("organisation_id")
    return Membership.objects.filter(
        Q(organisation_id__in=(deal.seller_id, deal.buyer_id))
        | Q(role=Membership.Role.BROKER, organisation_id__in=accepted_brokers)
        | Q(role=Membership.Role.OPERATOR),
        user=user,
    ).exists()


def viewers_among(pairs: set[tuple[User, Deal]]) -> set[tuple[int, int]]:
    """``(user.pk, deal.pk)`` of the pairs where ``can_view_deal(user, deal)`` holds, in two queries for any number
    of pairs (the room's group commit checks a whole batch of chat frames at once). The same rule, evaluated on
    the users' memberships and the deals' accepted broker organisations."""
    active = {(u, d) for u, d in pairs if _authenticated(u)}
    if not active:
        return set()
    memberships: dict[int, list[tuple[int, str]]] = {}
    for user_id, organisation_id, role in Membership.objects.filter(user_id__in={u.pk for u, _ in active}).values_list(
        "user_id", "organisation_id", "role"
    ):
        memberships.setdefault(user_id, []).append((organisation_id, role))
    brokers: dict[int, set[int]] = {}
    for deal_id, organisation_id in DealBroker.objects.filter(
        deal_id__in={d.pk for _, d in active}, status=BrokerStatus.ACCEPTED
    ).values_list("deal_id", "organisation_id"):
        brokers.setdefault(deal_id, set()).add(organisation_id)
    allowed = set()
    for user, deal in active:
        rows = memberships.get(user.pk, [])
        if user.is_staff or any(
            org in (deal.seller_id, deal.buyer_id)
            or role == Membership.Role.OPERATOR
            or (role == Membership.Role.BROKER and org in brokers.get(deal.pk, ()))
            for org, role in rows
        ):
            allowed.add((user.pk, deal.pk))
    return allowed


def visible_deals_q(user: User | None) -> Q:
    if permissions.is_operator(user):
        return Q()
    if not _authenticated(user):
        return Q(pk__in=[])
    orgs = Membership.objects.filter(user=user).values("organisation_id")
    brokered = Membership.objects.filter(user=user, role=Membership.Role.BROKER).values("organisation_id")
    return (
        Q(seller__in=orgs)
        | Q(buyer__in=orgs)
        | Q(brokers__status=BrokerStatus.ACCEPTED, brokers__organisation__in=brokered)
    )


def deals_visible_to(user: User | None) -> QuerySet[Deal]:
    return Deal.objects.filter(visible_deals_q(user)).distinct()


def can_see_document(user: User | None, document: DealDocument) -> bool:
    """Operators and the uploading side always; the other side only after accepting the current NDA if confidential."""
    deal = document.deal
    if permissions.is_operator(user):
        return True
    side = acting_side(user, deal)
    if side is None:
        return False
    if side == document.side or not document.confidential:
        return True
    return deal.nda_acceptances.filter(user=user, text_sha256=deal.nda_sha256).exists()
