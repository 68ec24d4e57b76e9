"""Deals: negotiations between a seller and a buyer organisation, their offers, room messages, brokers,
confidential documents, the pre-deal IP review and the contract confirmations.

Rows change only through ``listings.deals.services``; each status change writes a ``DealTransition``.

The models live in four modules — ``deal`` (the deal, its history and brokers), ``offers``, ``room`` (messages,
documents, NDA acceptances) and ``review`` (IP review, findings, contract confirmations) — and every name is
re-exported here, so ``from listings.deals.models import X`` is the one import path (the migrations use it too).
"""
from listings.catalogue.models import LicenceKind
from listings.deals.models.deal import (
    AGREED_STATUSES,
    DEFAULT_NDA_TEXT,
    LIVE_DEAL_STATUSES,
    MAX_AMOUNT,
    ROOM_OPEN_STATUSES,
    BrokerStatus,
    CommissionPayer,
    Deal,
    DealBroker,
    DealKind,
    DealStatus,
    DealTransition,
    Side,
    sha256_text,
)
from listings.deals.models.offers import DealOffer, OfferStatus
from listings.deals.models.review import (
    ContractConfirmation,
    FindingSeverity,
    IpFinding,
    IpReview,
    ReviewState,
    RiskLevel,
)
from listings.deals.models.room import (
    DealDocument,
    DealMessage,
    MessageKind,
    NdaAcceptance,
    document_upload_to,
)

__all__ = [
    "AGREED_STATUSES",
    "DEFAULT_NDA_TEXT",
    "LIVE_DEAL_STATUSES",
    "MAX_AMOUNT",
    "ROOM_OPEN_STATUSES",
    "BrokerStatus",
    "CommissionPayer",
    "ContractConfirmation",
    "Deal",
    "DealBroker",
    "DealDocument",
    "DealKind",
    "DealMessage",
    "DealOffer",
    "DealStatus",
    "DealTransition",
    "FindingSeverity",
    "IpFinding",
    "IpReview",
    "LicenceKind",
    "MessageKind",
    "NdaAcceptance",
    "OfferStatus",
    "ReviewState",
    "RiskLevel",
    "Side",
    "document_upload_to",
    "sha256_text",
]
