"""Trading's answers to catalogue events: a patent that leaves force or is encumbered stops its public listings."""
from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import Encumbrance, Patent
from listings.trading.models import PUBLIC_STATUSES, Listing, ListingStatus
from listings.trading.services.lifecycle import LISTING_MACHINE, lock_listing, suspend_locked, tell_owner
from marketplace.verbs import Verb


def suspend_public_listings(patent: Patent, *, by: Any, reason: str) -> list[Listing]:
    """Suspend every public listing of the patent, each with its row locked; returns those suspended."""
    suspended = []
    pks = Listing.objects.filter(patents=patent, status__in=PUBLIC_STATUSES).values_list("pk", flat=True)
    for pk in list(pks):
        locked = lock_listing(Listing(pk=pk))
        if locked.status not in PUBLIC_STATUSES:
            continue
        transition = LISTING_MACHINE.check("suspend", locked.status)
        suspend_locked(locked, transition, by, reason)
        suspended.append(locked)
    return suspended


def on_patent_left_force(sender: object, *, patent: Patent, by: Any, reason: str, **kwargs: object) -> list[Listing]:
    return suspend_public_listings(patent, by=by, reason=reason)


def on_patent_encumbered(sender: object, *, patent: Patent, by: Any, reason: str, **kwargs: object) -> list[Listing]:
    return suspend_public_listings(patent, by=by, reason=reason)


def on_encumbrance_released(sender: object, *, encumbrance: Encumbrance, by: Any, **kwargs: object) -> None:
    """Suspended listings stay suspended until an operator reinstates them; their organisations may ask."""
    suspended = Listing.objects.filter(patents=encumbrance.patent, status=ListingStatus.SUSPENDED)
    for listing in suspended.select_related("organisation"):
        tell_owner(
            listing, Verb.ENCUMBRANCE_RELEASED,
            format_lazy(
                _("{number} 的{kind}已解除，可申请恢复挂牌“{title}”"), number=encumbrance.patent.publication_number,
                kind=encumbrance.get_kind_display(), title=listing.title,
            ),
        )
