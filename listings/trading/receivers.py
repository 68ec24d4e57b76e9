"""Trading's answers to upstream events: a patent that leaves force or is encumbered, or an organisation whose
verification is revoked, stops its public listings."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import Encumbrance, EncumbranceKind, Patent
from listings.trading.models import PUBLIC_STATUSES, Listing, ListingStatus
from listings.trading.services.lifecycle import listing_suspend, tell_owner
from marketplace import permissions
from marketplace.kernel.statemachine import IllegalTransition
from marketplace.models import Organisation
from marketplace.notifications import text
from marketplace.verbs import Verb


def suspend_public_listings(patent: Patent, *, by: User | None, reason: str) -> list[Listing]:
    """Suspend every public listing of the patent, each in its own locked transition; returns those suspended.

    The system suspends (an operator who triggered it is recorded as such); a pledgee registering a pledge
    is named in the reason, not as the actor of a transition it may not take itself.
    """
    actor = by if by is not None and permissions.is_operator(by) else None
    suspended = []
    for pk in list(Listing.objects.filter(patents=patent, status__in=PUBLIC_STATUSES).values_list("pk", flat=True)):
        try:
            suspended.append(listing_suspend(listing=Listing(pk=pk), by=actor, reason=reason))
        except IllegalTransition:  # moved meanwhile (closed, withdrawn)
            continue
    return suspended


def on_patent_left_force(sender: object, *, patent: Patent, by: User | None, reason: str, **kwargs: object) -> list[Listing]:
    return suspend_public_listings(patent, by=by, reason=reason)


def on_patent_encumbered(sender: object, *, patent: Patent, by: User | None, reason: str, **kwargs: object) -> list[Listing]:
    return suspend_public_listings(patent, by=by, reason=reason)


def on_encumbrance_released(sender: object, *, encumbrance: Encumbrance, by: User | None, **kwargs: object) -> None:
    """Suspended listings stay suspended until an operator reinstates them; their organisations may ask."""
    suspended = Listing.objects.filter(patents=encumbrance.patent, status=ListingStatus.SUSPENDED)
    for listing in suspended.select_related("organisation"):
        tell_owner(
            listing, Verb.ENCUMBRANCE_RELEASED,
            text(
                _("{number} 的{kind}已解除，可申请恢复挂牌“{title}”"), number=encumbrance.patent.publication_number,
                kind=EncumbranceKind(encumbrance.kind).label, title=listing.title,
            ),
        )


def on_organisation_verification_revoked(
    sender: object, *, organisation: Organisation, by: User | None, reason: str, **kwargs: object
) -> list[Listing]:
    """An unverified organisation may not trade: its public listings are suspended (an operator reinstates each one
    after checking it; re-verification alone restores nothing)."""
    actor = by if by is not None and permissions.is_operator(by) else None
    why = f"机构“{organisation}”的认证已被撤销：{reason} / the organisation's verification was revoked"
    suspended = []
    ids = Listing.objects.filter(organisation=organisation, status__in=PUBLIC_STATUSES).values_list("pk", flat=True)
    for pk in list(ids):
        try:
            suspended.append(listing_suspend(listing=Listing(pk=pk), by=actor, reason=why))
        except IllegalTransition:  # moved meanwhile
            continue
    return suspended
