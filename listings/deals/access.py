"""Who may see and act in a deal: the parties' members, their accepted brokers, and operators.

Reading and acting are two rules (docs/security.md, "Deals: reading and acting"):

- **read** (the room, its messages, offers and documents, the escrow page): every member of a party organisation,
  whatever their role (a lender/finance member follows the deals their organisation is in), the broker-role members
  of an accepted broker organisation, and operators;
- **act** (offers and answers, accept/decline/cancel, the contract, the NDA, documents, chat, the commission,
  brokers, escrow funding, release and disputes): only a member *in the role of that side* — the seller's side
  needs a listing role (holder 权利人, or the organisation's own broker), the buyer's side a demand role (demand
  需求方, or the organisation's own broker), the same roles that open the deal — or a broker-role member of an
  accepted broker organisation for the side it represents. Operators act only in the operators' transitions.
"""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from listings.deals.models import BrokerStatus, Deal, DealBroker, DealDocument, Side
from listings.demands.permissions import DEMAND_ROLES
from listings.trading.permissions import LISTING_ROLES
from marketplace import permissions
from marketplace.kernel.errors import NotPermitted
from marketplace.models import Membership

#: the membership roles that act for each side of a deal, in the party organisation itself
SIDE_ROLES: dict[str, tuple[str, ...]] = {Side.SELLER: tuple(LISTING_ROLES), Side.BUYER: tuple(DEMAND_ROLES)}

#: the refusal for a member who may read the deal but whose role does not act in it
READ_ONLY = "您在本机构的角色只能查看本交易，不能操作 / your role in your organisation may follow this deal but not act in it"


def read_only_refusal() -> NotPermitted:
    """The refusal of an action to a member who may only read the deal: field ``user``, code ``read_only_role``."""
    return NotPermitted(READ_ONLY, field="user", code="read_only_role")


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def member_side(user: User | None, deal: Deal) -> str | None:
    """``seller`` or ``buyer`` for any member of that organisation, whatever their role (the read rule)."""
    if not _authenticated(user):
        return None
    orgs = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
    if deal.seller_id in orgs:
        return Side.SELLER
    if deal.buyer_id in orgs:
        return Side.BUYER
    return None


def party_side(user: User | None, deal: Deal) -> str | None:
    """``seller`` or ``buyer`` for a member of that organisation in the role that acts for that side, else ``None``."""
    if not _authenticated(user):
        return None
    rows = set(Membership.objects.filter(user=user, organisation_id__in=(deal.seller_id, deal.buyer_id))
               .values_list("organisation_id", "role"))
    for side, organisation_id in ((Side.SELLER, deal.seller_id), (Side.BUYER, deal.buyer_id)):
        if any(org == organisation_id and role in SIDE_ROLES[side] for org, role in rows):
            return side
    return None


def is_read_only(user: User | None, deal: Deal) -> bool:
    """A member of a party organisation who may read the deal but not act in it (no role of either side)."""
    return acting_side(user, deal) is None and member_side(user, deal) is not None


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
    """Read the room, its messages, offers and documents, the escrow: parties, accepted brokers, operators.

    One query (the room asks it on connect and on every recheck): a membership of ``user`` in either party (any
    role: the read rule), in an accepted broker organisation of the deal with the broker role, or in the operator
    role; or ``is_staff``. The same rule as ``member_side(user, deal) or acting_side(user, deal) or
    permissions.is_operator(user)``; acting needs the side's role (``acting_side``, ``can_act_in_deal``)."""
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


def rights_among(pairs: set[tuple[User, Deal]]) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """``(readers, actors)``: the ``(user.pk, deal.pk)`` of the pairs where ``can_view_deal`` holds and those where
    ``can_act_in_deal`` holds, in two queries for any number of pairs (the room's group commit checks a whole batch
    of chat frames at once), evaluated on the users' memberships and the deals' accepted broker organisations."""
    active = {(u, d) for u, d in pairs if _authenticated(u)}
    if not active:
        return set(), set()
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
    readers, actors = set(), set()
    for user, deal in active:
        rows = memberships.get(user.pk, [])
        beyond_party = user.is_staff or any(
            role == Membership.Role.OPERATOR or (role == Membership.Role.BROKER and org in brokers.get(deal.pk, ()))
            for org, role in rows
        )
        in_role = any((org == deal.seller_id and role in SIDE_ROLES[Side.SELLER])
                      or (org == deal.buyer_id and role in SIDE_ROLES[Side.BUYER]) for org, role in rows)
        if beyond_party or in_role:
            actors.add((user.pk, deal.pk))
        if beyond_party or in_role or any(org in (deal.seller_id, deal.buyer_id) for org, _ in rows):
            readers.add((user.pk, deal.pk))
    return readers, actors


def actors_among(pairs: set[tuple[User, Deal]]) -> set[tuple[int, int]]:
    """``(user.pk, deal.pk)`` of the pairs where ``can_act_in_deal(user, deal)`` holds (``rights_among``)."""
    return rights_among(pairs)[1]


def can_act_in_deal(user: User | None, deal: Deal) -> bool:
    """Post in the room (chat): a member in the role of a side, an accepted broker, or an operator."""
    if not _authenticated(user):
        return False
    assert user is not None
    return bool(user.pk is not None and (user.pk, deal.pk) in actors_among({(user, deal)}))


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
    side = acting_side(user, deal) or member_side(user, deal)  # a read-only member reads their own side's files
    if side is None:
        return False
    if side == document.side or not document.confidential:
        return True
    return deal.nda_acceptances.filter(user=user, text_sha256=deal.nda_sha256).exists()
