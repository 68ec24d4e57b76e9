"""What every rail shares: unique references, instruction rows, and the checks a confirmation must pass."""
from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from escrow.gateways.interface import Confirmation
from escrow.gateways.models import InstructionKind, InstructionStatus, RailEvent, RailInstruction
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import RuleBroken

_PREFIX = {InstructionKind.FUNDING: "ZPF", InstructionKind.PAYOUT: "ZPP", InstructionKind.REFUND: "ZPR"}
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone, typed into a bank form


def _check_char(body: str) -> str:
    total = sum((i + 1) * _ALPHABET.index(c) for i, c in enumerate(body[3:]))
    return _ALPHABET[total % len(_ALPHABET)]


def new_reference(kind: str) -> str:
    """``ZPF`` / ``ZPP`` / ``ZPR`` + 10 random characters + a check character; unique in the table."""
    while True:
        body = _PREFIX[InstructionKind(kind)] + "".join(secrets.choice(_ALPHABET) for _ in range(10))
        reference = body + _check_char(body)
        if not RailInstruction.objects.filter(reference=reference).exists():
            return reference


def reference_well_formed(reference: str) -> bool:
    reference = (reference or "").strip().upper()
    return (len(reference) == 14 and reference[:3] in _PREFIX.values()
            and all(c in _ALPHABET for c in reference[3:]) and _check_char(reference[:13]) == reference[13])


def instruction_for(reference: str, *, kind: str | None = None, rail: str) -> RailInstruction:
    """The instruction with this reference, locked; an unknown reference is refused naming it."""
    reference = (reference or "").strip().upper()
    row = RailInstruction.objects.select_for_update().filter(reference=reference, rail=rail).first()
    if row is None or (kind is not None and row.kind != kind):
        raise RuleBroken([("reference", "unknown_reference", f"未知参考号 {reference!r} / unknown reference")])
    return row


def check_amount(row: RailInstruction, amount: Money, field: str = "amount") -> None:
    if amount.currency != row.currency:
        raise RuleBroken([("currency", "currency_mismatch",
                           f"币种 {amount.currency} 与指令 {row.reference} 的 {row.currency} 不符 / currency does not match")])
    if amount.amount != row.amount:
        raise RuleBroken([(field, "amount_mismatch",
                           f"金额 {amount} 与指令 {row.reference} 的 {Money(int(row.amount), row.currency)} 不符 / "
                           "amount does not match")])


@transaction.atomic
def confirm(row: RailInstruction, *, event_id: str, event_type: str, amount: Money, by=None,
            external_id: str = "", payload: dict | None = None) -> Confirmation:
    """Mark an open instruction confirmed and record the event; a confirmed one (reused reference) is refused."""
    if row.status == InstructionStatus.CONFIRMED:
        raise RuleBroken([("reference", "reference_reused", f"参考号 {row.reference} 已确认过 / reference already confirmed")])
    if row.status == InstructionStatus.CANCELLED:
        raise RuleBroken([("reference", "reference_cancelled", f"参考号 {row.reference} 已作废 / reference was cancelled")])
    check_amount(row, amount)
    if RailEvent.objects.filter(rail=row.rail, event_id=event_id).exists():
        raise RuleBroken([("event_id", "event_replayed", f"事件 {event_id} 已处理 / event already applied")])
    row.status = InstructionStatus.CONFIRMED
    row.confirmed_at = timezone.now()
    row.confirmed_by = by
    if external_id:
        row.external_id = external_id
    row.save(update_fields=["status", "confirmed_at", "confirmed_by", "external_id"])
    RailEvent.objects.create(rail=row.rail, event_id=event_id, type=event_type, instruction=row, amount=amount.amount,
                             currency=amount.currency, outcome="confirmed", payload=payload or {})
    return Confirmation(rail=row.rail, kind=row.kind, reference=row.reference, amount=amount, event_id=event_id,
                        external_id=row.external_id)
