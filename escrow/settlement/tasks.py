"""Settlement's timers (Celery beat): funding deadlines, inspection windows, and payouts still to send."""
from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from marketplace.kernel.errors import DomainError


@shared_task(name="settlement.expire_unfunded")
def expire_unfunded() -> int:
    """Cancel every escrow whose funding deadline passed (refunding any part paid); returns how many."""
    from escrow.settlement.models import Escrow, EscrowStatus
    from escrow.settlement.services import escrow_expire

    done = 0
    for escrow in Escrow.objects.filter(status=EscrowStatus.AWAITING_FUNDING, funding_deadline__lt=timezone.now()):
        try:
            escrow_expire(escrow=escrow)
            done += 1
        except DomainError:  # moved on meanwhile (funded by a late receipt): nothing to do
            continue
    return done


@shared_task(name="settlement.auto_accept_milestones")
def auto_accept_milestones() -> int:
    """Release every delivered milestone whose inspection window lapsed without the buyer's answer."""
    from escrow.settlement.models import EscrowMilestone, EscrowStatus, MilestoneStatus
    from escrow.settlement.services import milestone_accept

    done = 0
    now = timezone.now()
    for m in EscrowMilestone.objects.filter(status=MilestoneStatus.DELIVERED, escrow__status=EscrowStatus.FUNDED
                                            ).select_related("escrow"):
        if m.delivered_at and m.delivered_at + dt.timedelta(days=m.escrow.inspection_days) <= now:
            try:
                milestone_accept(milestone=m, by=None)
                done += 1
            except DomainError:
                continue
    return done


@shared_task(name="settlement.send_open_payouts")
def send_open_payouts() -> int:
    """Retry payouts and refunds that were issued but not yet sent (the same idempotency key each time)."""
    from escrow.settlement.models import Payout
    from escrow.settlement.services import payout_send

    refs = list(Payout.objects.filter(confirmed=False, rail="stripe").values_list("reference", flat=True))
    for reference in refs:
        try:
            payout_send(reference=reference)
        except DomainError:
            continue
    return len(refs)
