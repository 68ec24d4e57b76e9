"""Reading settlement: statements per party and for the exchange, the reconciliation of the ledger with each
rail's records, and the invariants settlement adds to ``ledger_check``."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, Sum

from escrow.gateways.models import BankStatementLine, InstructionKind, InstructionStatus, LineStatus, RailInstruction
from escrow.ledger.models import Account, AccountType, Entry, LedgerTransaction
from escrow.ledger.selectors import account_balance, account_entries
from escrow.ledger.services import EXCHANGE
from escrow.settlement.models import Escrow, EscrowMilestone, EscrowStatus, MilestoneStatus, Payout
from marketplace.kernel.money import Money
from marketplace.models import Organisation

HELD = (MilestoneStatus.FUNDED, MilestoneStatus.DELIVERED)
PARTY_TYPES = (AccountType.BUYER_FUNDING, AccountType.REFUNDS_PAYABLE, AccountType.SELLER_PAYABLE,
               AccountType.COMMISSION_PAYABLE)


def escrow_for_deal(deal_id: int) -> Escrow | None:
    return Escrow.objects.filter(deal_id=deal_id).select_related("deal").first()


def held_amount(escrow: Escrow) -> Money:
    total = sum(m.funding_amount for m in escrow.milestones.filter(status__in=HELD))
    return escrow.money(total)


# --------------------------------------------------------------------------------------------
# Statements
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatementLine:
    date: str
    transaction: int
    kind: str
    memo: str
    account_type: str
    debit: int
    credit: int


@dataclass
class Statement:
    title: str
    currency: str
    lines: list[StatementLine] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)  # what the statement adds up to, by name
    balances: dict[str, int] = field(default_factory=dict)  # account type → normal balance


def _statement(title: str, accounts: QuerySet[Account], currency: str) -> Statement:
    st = Statement(title=title, currency=currency)
    for e in account_entries(accounts.filter(currency=currency)):
        st.lines.append(StatementLine(e.transaction.created_at.date().isoformat(), e.transaction_id, e.transaction.kind,
                                      e.transaction.memo, e.account.type, max(e.amount, 0), max(-e.amount, 0)))
    for account in accounts.filter(currency=currency):
        st.balances[account.type] = st.balances.get(account.type, 0) + account_balance(account).amount
    return st


def _credits(accounts: QuerySet[Account], type: str, kinds: tuple[str, ...], currency: str) -> int:
    return -int(Entry.objects.filter(account__in=accounts.filter(type=type, currency=currency), amount__lt=0,
                                     transaction__kind__in=kinds).aggregate(t=Sum("amount"))["t"] or 0)


def _debits(accounts: QuerySet[Account], type: str, kinds: tuple[str, ...], currency: str) -> int:
    return int(Entry.objects.filter(account__in=accounts.filter(type=type, currency=currency), amount__gt=0,
                                    transaction__kind__in=kinds).aggregate(t=Sum("amount"))["t"] or 0)


def party_statement(organisation: Organisation, currency: str = "CNY") -> Statement:
    """Everything the ledger holds for one organisation (as buyer, seller or broker), with its totals."""
    accounts = Account.objects.filter(key=f"org:{organisation.pk}", type__in=PARTY_TYPES)
    st = _statement(str(organisation), accounts, currency)
    st.totals = {
        "paid_into_escrow": _credits(accounts, AccountType.BUYER_FUNDING, ("funding",), currency),
        "seller_proceeds": _credits(accounts, AccountType.SELLER_PAYABLE, ("release", "resolve"), currency),
        "seller_paid_out": _debits(accounts, AccountType.SELLER_PAYABLE, ("payout",), currency),
        "commission_earned": _credits(accounts, AccountType.COMMISSION_PAYABLE, ("release", "resolve"), currency),
        "commission_paid_out": _debits(accounts, AccountType.COMMISSION_PAYABLE, ("payout",), currency),
        "refunds_due": _credits(accounts, AccountType.REFUNDS_PAYABLE, ("refund", "resolve"), currency),
        "refunds_paid": _debits(accounts, AccountType.REFUNDS_PAYABLE, ("refund",), currency),
    }
    return st


def exchange_statement(currency: str = "CNY") -> Statement:
    """The exchange's own accounts (fee revenue, rail clearing) and what it holds for others."""
    accounts = Account.objects.filter(key=EXCHANGE)
    st = _statement("交易所 / the exchange", accounts, currency)
    def total(type_: str) -> int:
        return sum(account_balance(a).amount for a in Account.objects.filter(type=type_, currency=currency))
    st.totals = {
        "fee_revenue": total(AccountType.FEE_REVENUE),
        "bank_clearing": total(AccountType.BANK_CLEARING),
        "stripe_clearing": total(AccountType.STRIPE_CLEARING),
        "escrow_held": total(AccountType.ESCROW_HELD),
        "seller_payable": total(AccountType.SELLER_PAYABLE),
        "commission_payable": total(AccountType.COMMISSION_PAYABLE),
        "refunds_payable": total(AccountType.REFUNDS_PAYABLE),
        "buyer_funding": total(AccountType.BUYER_FUNDING),
    }
    return st


def deal_statement_totals(escrow: Escrow) -> dict[str, int]:
    """One deal seen from all sides: what the buyer paid in, and where it went."""
    txns = LedgerTransaction.objects.filter(subject=escrow.key)
    entries = Entry.objects.filter(transaction__in=txns)
    def credited(type_: str, kinds: tuple[str, ...]) -> int:
        return -int(entries.filter(account__type=type_, amount__lt=0, transaction__kind__in=kinds)
                    .aggregate(t=Sum("amount"))["t"] or 0)
    return {
        "buyer_paid": credited(AccountType.BUYER_FUNDING, ("funding",)),
        "seller_received": credited(AccountType.SELLER_PAYABLE, ("release", "resolve")),
        "fee": credited(AccountType.FEE_REVENUE, ("release", "resolve")),
        "commission": credited(AccountType.COMMISSION_PAYABLE, ("release", "resolve")),
        "refunded": credited(AccountType.REFUNDS_PAYABLE, ("refund", "resolve")),
        "held": credited(AccountType.ESCROW_HELD, ("funding",)) - int(
            entries.filter(account__type=AccountType.ESCROW_HELD, amount__gt=0).aggregate(t=Sum("amount"))["t"] or 0),
    }


# --------------------------------------------------------------------------------------------
# Reconciliation
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Difference:
    rail: str
    reference: str
    kind: str
    problem: str
    ledger_amount: int | None
    rail_amount: int | None


def _clearing_amount(txn: LedgerTransaction) -> int:
    return sum(abs(e.amount) for e in txn.entries.all()
               if e.account.type in (AccountType.BANK_CLEARING, AccountType.STRIPE_CLEARING))


def reconciliation() -> list[Difference]:
    """Every difference between the ledger and the rails' records; an empty list means they agree."""
    diffs: list[Difference] = []
    posted = {(t.reference or "")[5:]: t for t in LedgerTransaction.objects.filter(reference__startswith="rail:")
              .prefetch_related("entries__account")}
    instructions = {i.reference: i for i in RailInstruction.objects.all()}
    for ref, ins in instructions.items():
        txn = posted.get(ref)
        if ins.status == InstructionStatus.CONFIRMED:
            if txn is None:
                diffs.append(Difference(ins.rail, ref, ins.kind, "confirmed by the rail, not in the ledger / 通道已确认，账上无记录",
                                        None, int(ins.amount)))
            elif _clearing_amount(txn) != ins.amount:
                diffs.append(Difference(ins.rail, ref, ins.kind, "amounts differ / 金额不一致", _clearing_amount(txn), int(ins.amount)))
        elif txn is not None:
            diffs.append(Difference(ins.rail, ref, ins.kind, f"in the ledger, rail says {ins.status} / 账上已记，通道未确认",
                                    _clearing_amount(txn), int(ins.amount)))
    for ref, txn in posted.items():
        if ref not in instructions:
            diffs.append(Difference("", ref, txn.kind, "in the ledger, unknown to every rail / 账上有记录，通道无此参考号",
                                    _clearing_amount(txn), None))
    for rail, type_ in (("bank", AccountType.BANK_CLEARING), ("stripe", AccountType.STRIPE_CLEARING)):
        for currency in Account.objects.filter(type=type_).values_list("currency", flat=True).distinct():
            ledger = sum(account_balance(a).amount for a in Account.objects.filter(type=type_, currency=currency))
            confirmed = RailInstruction.objects.filter(rail=rail, currency=currency, status=InstructionStatus.CONFIRMED)
            inflow = int(confirmed.filter(kind=InstructionKind.FUNDING).aggregate(t=Sum("amount"))["t"] or 0)
            outflow = int(confirmed.filter(~Q(kind=InstructionKind.FUNDING)).aggregate(t=Sum("amount"))["t"] or 0)
            if ledger != inflow - outflow:
                diffs.append(Difference(rail, f"clearing {currency}", "balance",
                                        "clearing balance differs from the rail's net / 清算余额与通道净额不符",
                                        ledger, inflow - outflow))
    for line in BankStatementLine.objects.filter(status=LineStatus.UNMATCHED).order_by("statement_id", "line_number"):
        diffs.append(Difference("bank", line.reference or line.bank_txn_id, f"statement line {line.line_number}",
                                f"unmatched statement line: {line.note} / 对账单未匹配", None, line.amount))
    return diffs


def open_instructions() -> QuerySet[RailInstruction]:
    """Instructions the rails have not confirmed yet (outstanding, not differences)."""
    return RailInstruction.objects.filter(status=InstructionStatus.OPEN).order_by("created_at")


# --------------------------------------------------------------------------------------------
# Invariants for ledger_check
# --------------------------------------------------------------------------------------------
def escrow_held_breaches() -> list[str]:
    breaches = []
    for escrow in Escrow.objects.all():
        account = Account.objects.filter(type=AccountType.ESCROW_HELD, key=escrow.key, currency=escrow.currency).first()
        ledger = account_balance(account).amount if account else 0
        expected = held_amount(escrow).amount
        if ledger != expected:
            breaches.append(f"escrow #{escrow.pk}: ledger holds {ledger}, milestones say {expected}")
    return breaches


def rail_posting_breaches() -> list[str]:
    return [f"{d.rail} {d.reference}: {d.problem} (ledger {d.ledger_amount}, rail {d.rail_amount})"
            for d in reconciliation() if not d.kind.startswith("statement line")]


def payouts_of(escrow: Escrow) -> QuerySet[Payout]:
    return escrow.payouts.select_related("organisation").order_by("pk")


def milestones_of(escrow: Escrow) -> QuerySet[EscrowMilestone]:
    return escrow.milestones.order_by("position")


# --------------------------------------------------------------------------------------------
# What waits for an operator (the console's escrow sections)
# --------------------------------------------------------------------------------------------
def receipts_to_match() -> list[EscrowMilestone]:
    """Milestones whose buyer has bank-transfer instructions: the operator matches the receipt by its reference."""
    return list(EscrowMilestone.objects.filter(status=MilestoneStatus.AWAITING_FUNDING, funding_rail="bank",
                                               escrow__status=EscrowStatus.AWAITING_FUNDING)
                .exclude(funding_reference="").select_related("escrow").order_by("escrow__created_at", "position"))


def evidence_to_check() -> list[Escrow]:
    """Escrows whose seller submitted recordal or filing evidence: the operator checks it and releases (or rejects)."""
    return list(Escrow.objects.filter(status=EscrowStatus.RELEASE_REQUESTED).select_related("deal")
                .order_by("updated_at", "pk"))


def disputes_to_resolve() -> list[Escrow]:
    """Escrows frozen by a dispute until an operator resolves it."""
    return list(Escrow.objects.filter(status=EscrowStatus.DISPUTED).select_related("deal").order_by("updated_at", "pk"))


def payouts_to_confirm() -> list[Payout]:
    """Bank payouts and refunds issued but not yet confirmed against the bank's record (Stripe's confirm by webhook)."""
    return list(Payout.objects.filter(confirmed=False, rail="bank").select_related("escrow", "organisation")
                .order_by("created_at", "pk"))
