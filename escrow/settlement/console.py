"""The escrow sections of the operator console's review queue (``marketplace.console``): bank receipts to match,
release evidence to check, disputes to resolve, bank payouts to confirm — each with its count and links to the
escrow page and the operator's desk. Registered in ``SettlementConfig.ready``; marketplace never imports escrow."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import reverse

from escrow.settlement import selectors
from escrow.settlement.models import Escrow
from marketplace.console import ReviewSection, register_review_section
from marketplace.kernel.money import Money

TEMPLATE = "settlement/review_section.html"


def _escrow_url(deal_id: int) -> str:
    return reverse("settlement:escrow", kwargs={"deal_pk": deal_id})


def _receipts(items: Sequence[Any], request: Any) -> list[dict]:
    return [{"escrow": m.escrow_id, "deal": m.escrow.deal_id, "milestone": m.position, "label": m.label,
             "reference": m.funding_reference, "amount": m.funding_amount, "currency": m.escrow.currency,
             "display": str(m.escrow.money(m.funding_amount)),
             "url": _escrow_url(m.escrow.deal_id), "action_url": reverse("settlement:operator")} for m in items]


def _escrows(items: Sequence[Escrow], request: Any) -> list[dict]:
    return [{"escrow": e.pk, "deal": e.deal_id, "status": e.status, "evidence_kind": e.evidence_kind,
             "evidence_number": e.evidence_number, "amount": e.price_amount, "currency": e.currency,
             "display": str(e.money(e.price_amount)),
             "url": _escrow_url(e.deal_id), "action_url": _escrow_url(e.deal_id)} for e in items]


def _payouts(items: Sequence[Any], request: Any) -> list[dict]:
    return [{"escrow": p.escrow_id, "deal": p.escrow.deal_id, "kind": p.account_type, "payee": p.organisation.name,
             "reference": p.reference, "amount": p.amount, "currency": p.currency,
             "display": str(Money(p.amount, p.currency)), "url": _escrow_url(p.escrow.deal_id),
             "action_url": reverse("settlement:operator")} for p in items]


SECTIONS = (
    ReviewSection("escrow_receipts", selectors.receipts_to_match, _receipts, template=TEMPLATE),
    ReviewSection("escrow_evidence", selectors.evidence_to_check, _escrows, template=TEMPLATE),
    ReviewSection("escrow_disputes", selectors.disputes_to_resolve, _escrows, template=TEMPLATE),
    ReviewSection("escrow_payouts", selectors.payouts_to_confirm, _payouts, template=TEMPLATE),
)


def register() -> None:
    for section in SECTIONS:
        register_review_section(section)
