"""The deal's lifecycle: the public services of every transition, gathered from the modules that hold them.

``deal_machine`` (the declared machine, ``transition``, ``register_settlement``), ``deal_siblings`` (the listing
follows its deals; exclusive terms pause and closing cancels the siblings), ``opening`` (enquiry, from a match),
``negotiation`` (accept, decline, cancel, agree, revise, dispute, resolve) and ``closing`` (contract confirmed,
close, and the settlement domain's money states). Callers keep importing from here.
"""
from listings.deals.services.closing import (
    deal_await_funding,
    deal_close,
    deal_contract_confirm_complete,
    deal_funded,
    deal_settle,
    deal_settlement_cancel,
)
from listings.deals.services.deal_machine import (
    DEAL_MACHINE,
    STARTED_STATUSES,
    DealActor,
    lock_listing_of,
    register_settlement,
    transition,
)
from listings.deals.services.deal_siblings import _excluding_agreed_elsewhere, _offer_excludes
from listings.deals.services.negotiation import (
    deal_accept,
    deal_agree,
    deal_cancel,
    deal_decline,
    deal_dispute,
    deal_dispute_resolve,
    deal_revise,
)
from listings.deals.services.opening import deal_open_from_listing, deal_open_from_match

__all__ = [
    "DEAL_MACHINE", "STARTED_STATUSES", "DealActor", "_excluding_agreed_elsewhere", "_offer_excludes",
    "deal_accept", "deal_agree", "deal_await_funding", "deal_cancel", "deal_close", "deal_contract_confirm_complete",
    "deal_decline", "deal_dispute", "deal_dispute_resolve", "deal_funded", "deal_open_from_listing",
    "deal_open_from_match", "deal_revise", "deal_settle", "deal_settlement_cancel", "lock_listing_of",
    "register_settlement", "transition",
]
