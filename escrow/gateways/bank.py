"""The bank-transfer rail (the default): funding instructions to the exchange's escrow account with a unique
reference; an operator records each receipt, or uploads a statement (CSV) matched by reference; payouts and
refunds are instructions to the bank, confirmed the same way.

Statement CSV columns (UTF-8, header row): ``date,txn_id,direction,amount,currency,reference`` where
``direction`` is ``credit`` (money in) or ``debit`` (money out) and ``amount`` is a decimal (``12345.67``).
"""
from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from escrow.gateways.common import check_amount, confirm, instruction_for, new_reference, reference_well_formed
from escrow.gateways.interface import (
    Confirmation,
    FundingInstructions,
    FundingRequest,
    IssuedInstruction,
    PaymentRail,
    PayoutRequest,
    RefundRequest,
)
from escrow.gateways.models import (
    BankStatement,
    BankStatementLine,
    InstructionKind,
    InstructionStatus,
    LineStatus,
    Rail,
    RailInstruction,
)
from marketplace.kernel.money import MINOR_UNITS, Money
from marketplace.kernel.statemachine import RuleBroken

COLUMNS = ("date", "txn_id", "direction", "amount", "currency", "reference")
DIRECTION_KINDS = {"credit": (InstructionKind.FUNDING,), "debit": (InstructionKind.PAYOUT, InstructionKind.REFUND)}


@dataclass(frozen=True)
class StatementLineResult:
    line_number: int
    txn_id: str
    reference: str
    matched: bool
    note: str


@dataclass(frozen=True)
class StatementResult:
    statement_id: int
    confirmations: tuple[Confirmation, ...]
    lines: tuple[StatementLineResult, ...]

    @property
    def unmatched(self) -> tuple[StatementLineResult, ...]:
        return tuple(line for line in self.lines if not line.matched)


class BankTransferRail(PaymentRail):
    name = Rail.BANK

    def funding_open(self, request: FundingRequest) -> FundingInstructions:
        reference = new_reference(InstructionKind.FUNDING)
        RailInstruction.objects.create(
            rail=self.name, kind=InstructionKind.FUNDING, reference=reference, group=request.group,
            amount=request.amount.amount, currency=request.amount.currency, payee_name=request.payer_name,
            idempotency_key=f"bank-{reference}",
        )
        account = settings.ESCROW_BANK_ACCOUNT
        return FundingInstructions(rail=self.name, reference=reference, amount=request.amount, pay_to={
            "bank": account["bank"], "account_name": account["name"], "account_number": account["number"],
            "reference": reference,
        })

    def _issue(self, kind: str, request: PayoutRequest | RefundRequest, payee: str, payee_name: str,
               funding: RailInstruction | None = None) -> IssuedInstruction:
        reference = new_reference(kind)
        RailInstruction.objects.create(
            rail=self.name, kind=kind, reference=reference, group=request.group, amount=request.amount.amount,
            currency=request.amount.currency, payee=payee, payee_name=payee_name, funding=funding,
            idempotency_key=f"bank-{reference}",
        )
        return IssuedInstruction(self.name, kind, reference, request.amount, "", confirmed=False)

    def payout_issue(self, request: PayoutRequest) -> IssuedInstruction:
        return self._issue(InstructionKind.PAYOUT, request, request.payee_account, request.payee_name)

    def refund_issue(self, request: RefundRequest) -> IssuedInstruction:
        funding = instruction_for(request.funding_reference, kind=InstructionKind.FUNDING, rail=self.name)
        return self._issue(InstructionKind.REFUND, request, funding.payee, funding.payee_name, funding)

    def send(self, reference: str) -> Confirmation | None:
        """The instruction goes to the bank with the operator's batch; the bank's statement confirms it."""
        instruction_for(reference, rail=self.name)
        return None

    # ---- what the bank tells us --------------------------------------------------------------
    @transaction.atomic
    def receipt_record(self, *, reference: str, amount: Money, bank_txn_id: str, by: User,
                       kind: str = InstructionKind.FUNDING) -> Confirmation:
        """An operator records money the bank received (funding) or sent (payout/refund) under a reference."""
        bank_txn_id = (bank_txn_id or "").strip()
        if not bank_txn_id:
            raise RuleBroken([("bank_txn_id", "required", "请填写银行流水号 / the bank transaction id is required")])
        if not reference_well_formed(reference):
            raise RuleBroken([("reference", "unknown_reference", f"参考号格式错误 {reference!r} / malformed reference")])
        row = instruction_for(reference, kind=kind, rail=self.name)
        return confirm(row, event_id=f"bank:{bank_txn_id}", event_type=f"receipt.{kind}", amount=amount, by=by)

    @transaction.atomic
    def statement_import(self, *, content: bytes, filename: str, by: User,
                         apply: Callable[[Confirmation], object] | None = None) -> StatementResult:
        """Match each line by reference; confirm the matches (``apply`` posts each to the ledger in the same
        savepoint: if it refuses, the line stays unmatched with its reason); list every other line with the reason."""
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RuleBroken([("file", "not_utf8", "对账单须为 UTF-8 编码的 CSV / the statement must be UTF-8 CSV")])
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise RuleBroken([("file", "missing_columns", f"对账单缺少列 {', '.join(missing)} / missing columns")])
        statement = BankStatement.objects.create(filename=filename[:255], sha256=hashlib.sha256(content).hexdigest(),
                                                 uploaded_by=by)
        confirmations: list[Confirmation] = []
        results: list[StatementLineResult] = []
        seen: set[str] = set()
        for number, raw in enumerate(reader, start=2):
            line = BankStatementLine(statement=statement, line_number=number, bank_txn_id=(raw["txn_id"] or "").strip(),
                                     value_date=(raw["date"] or "").strip(), direction=(raw["direction"] or "").strip().lower(),
                                     reference=(raw["reference"] or "").strip().upper(), status=LineStatus.UNMATCHED)
            note = ""
            try:
                currency = (raw["currency"] or "").strip().upper()
                if currency not in MINOR_UNITS:
                    raise RuleBroken([("currency", "unsupported_currency", f"不支持的币种 {currency!r}")])
                amount = Money.parse(raw["amount"] or "", currency)
                line.amount, line.currency = amount.amount, currency
                if not line.bank_txn_id:
                    raise RuleBroken([("txn_id", "required", "缺少银行流水号 / no bank transaction id")])
                if line.bank_txn_id in seen or BankStatementLine.objects.filter(
                        bank_txn_id=line.bank_txn_id, status=LineStatus.MATCHED).exists():
                    raise RuleBroken([("txn_id", "line_matched_twice",
                                       f"流水 {line.bank_txn_id} 已匹配过 / this statement line was already matched")])
                kinds = DIRECTION_KINDS.get(line.direction)
                if kinds is None:
                    raise RuleBroken([("direction", "invalid_choice", "方向须为 credit 或 debit / credit or debit")])
                if not reference_well_formed(line.reference):
                    raise RuleBroken([("reference", "unknown_reference", "附言中无有效参考号 / no valid reference")])
                row = instruction_for(line.reference, rail=self.name)
                if row.kind not in kinds:
                    raise RuleBroken([("reference", "unknown_reference", "参考号与资金方向不符 / reference of the other direction")])
                check_amount(row, amount)
                with transaction.atomic():
                    confirmation = confirm(row, event_id=f"bank:{line.bank_txn_id}", event_type=f"statement.{row.kind}",
                                           amount=amount, by=by, payload={"statement": statement.pk, "line": number})
                    if apply is not None:
                        apply(confirmation)
                confirmations.append(confirmation)
                line.status, line.instruction = LineStatus.MATCHED, row
                seen.add(line.bank_txn_id)
            except (RuleBroken, ValueError) as exc:
                note = str(exc)[:300]
            line.note = note
            line.save()
            results.append(StatementLineResult(number, line.bank_txn_id, line.reference, not note, note))
        return StatementResult(statement.pk, tuple(confirmations), tuple(results))

    def cancel_open(self, *, reference: str) -> None:
        row = instruction_for(reference, rail=self.name)
        if row.status == InstructionStatus.OPEN:
            row.status = InstructionStatus.CANCELLED
            row.save(update_fields=["status"])
