"""The escrow's declared machine (``ESCROW_MACHINE``), who may take each step, and ``step``: one locked
atomic transition with its audit row and the notice to both sides (delivered after commit)."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from escrow.settlement.models import (
    Escrow,
    EscrowStatus,
    EscrowTransition,
    MilestoneStatus,
)
from listings.deals import access
from listings.deals.models import Side
from marketplace import permissions
from marketplace.kernel.statemachine import StateMachine, Transition
from marketplace.kernel.transitions import apply_transition
from marketplace.notifications import Text, notify, text
from marketplace.services import operators, organisation_members
from marketplace.verbs import Verb

E = EscrowStatus
M = MilestoneStatus


class EscrowActor:
    SELLER = "seller"
    BUYER = "buyer"
    PARTY = "party"
    OPERATOR = "operator"
    SYSTEM = "system"  # the settlement services (by=None: timers, rail confirmations) or an operator


ESCROW_MACHINE = StateMachine("escrow", [
    Transition("fund_part", frozenset({E.AWAITING_FUNDING}), E.AWAITING_FUNDING, EscrowActor.SYSTEM),
    Transition("fund", frozenset({E.AWAITING_FUNDING}), E.FUNDED, EscrowActor.SYSTEM),
    Transition("deliver", frozenset({E.FUNDED}), E.FUNDED, EscrowActor.SELLER),
    Transition("accept", frozenset({E.FUNDED}), E.FUNDED, EscrowActor.BUYER),
    Transition("request_release", frozenset({E.FUNDED}), E.RELEASE_REQUESTED, EscrowActor.SELLER),
    Transition("reject_evidence", frozenset({E.RELEASE_REQUESTED}), E.FUNDED, EscrowActor.OPERATOR, needs_reason=True),
    Transition("release", frozenset({E.RELEASE_REQUESTED}), E.RELEASED, EscrowActor.OPERATOR),
    Transition("refund", frozenset({E.AWAITING_FUNDING, E.FUNDED, E.RELEASE_REQUESTED}), E.REFUNDED, EscrowActor.OPERATOR,
               needs_reason=True),
    Transition("expire", frozenset({E.AWAITING_FUNDING}), E.CANCELLED, EscrowActor.SYSTEM, needs_reason=True),
    Transition("dispute", frozenset({E.FUNDED, E.RELEASE_REQUESTED}), E.DISPUTED, EscrowActor.PARTY, needs_reason=True),
    Transition("resolve", frozenset({E.DISPUTED}), E.RESOLVED, EscrowActor.OPERATOR, needs_reason=True),
])

HELD = (M.FUNDED, M.DELIVERED)


def _allowed(by: User | None):
    def check(transition: Transition, escrow: Escrow) -> bool:
        operator = permissions.is_operator(by)
        if transition.actor in (EscrowActor.SYSTEM,):
            return by is None or operator
        if transition.actor == EscrowActor.OPERATOR:
            return operator
        side = access.acting_side(by, escrow.deal)
        if transition.actor == EscrowActor.SELLER:
            return side == Side.SELLER or operator
        if transition.actor == EscrowActor.BUYER:
            return side == Side.BUYER
        return side is not None or operator

    return check


def _people(escrow: Escrow) -> list[User]:
    return organisation_members(escrow.deal.seller) + organisation_members(escrow.deal.buyer)


def tell(escrow: Escrow, action: str, title: Text, *, also_operators: bool = False) -> None:
    """Tell both sides (and operators) that ``action`` happened; each escrow action has its ``Verb``."""
    users = _people(escrow) + (operators() if also_operators else [])
    notify(users=users, verb=Verb(f"escrow.{action}"), title=title, url=escrow.deal.get_absolute_url())


def step(escrow: Escrow, action: str, *, by: User | None, reason: str = "", effect=None, after=None,
          allowed=None) -> Escrow:
    def announce(locked: Escrow) -> None:
        tell(locked, action, text(_("交易 #{pk} 资金托管：{status}"), pk=locked.deal_id,
                                          status=EscrowStatus(locked.status).label))
        if after:
            after(locked)

    return apply_transition(escrow, machine=ESCROW_MACHINE, action=action, by=by, reason=reason,
                            allowed=allowed or _allowed(by),
                            history=EscrowTransition, effect=effect, announce=announce, related=("deal",))
