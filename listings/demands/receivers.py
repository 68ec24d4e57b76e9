"""The demands domain's answers to upstream events: an organisation whose verification is revoked stops its public demands."""
from __future__ import annotations

from django.contrib.auth.models import User

from listings.demands.models import DEMAND_PUBLIC_STATUSES, Demand
from listings.demands.services import demand_suspend
from marketplace import permissions
from marketplace.kernel.statemachine import IllegalTransition
from marketplace.models import Organisation


def on_organisation_verification_revoked(
    sender: object, *, organisation: Organisation, by: User | None, reason: str, **kwargs: object
) -> list[Demand]:
    """Suspend the organisation's published demands; an operator reinstates each, re-verification restores none."""
    actor = by if by is not None and permissions.is_operator(by) else None
    why = f"机构“{organisation}”的认证已被撤销：{reason} / the organisation's verification was revoked"
    suspended = []
    ids = Demand.objects.filter(organisation=organisation, status__in=DEMAND_PUBLIC_STATUSES).values_list("pk", flat=True)
    for pk in list(ids):
        try:
            suspended.append(demand_suspend(demand=Demand(pk=pk), by=actor, reason=why))
        except IllegalTransition:  # moved meanwhile
            continue
    return suspended
