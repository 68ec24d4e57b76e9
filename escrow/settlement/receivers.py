"""How settlement answers the deals domain: it opens escrow when a contract is confirmed, and tells deals it
settles every deal's price (so only a release closes a confirmed deal)."""
from __future__ import annotations

from listings.deals.models import Deal
from listings.deals.signals import deal_contract_confirmed


def settles(deal: Deal) -> bool:
    """A deal whose escrow is open settles through it (escrow opens as soon as the contract is confirmed)."""
    from escrow.settlement.models import Escrow

    return Escrow.objects.filter(deal_id=deal.pk).exists()


def _open_escrow(sender, deal: Deal, **kwargs) -> None:
    from escrow.settlement.services import escrow_open

    escrow_open(deal=deal)


def connect() -> None:
    deal_contract_confirmed.connect(_open_escrow, dispatch_uid="settlement.open_escrow")
