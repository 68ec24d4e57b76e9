"""The Stripe rail: the only module that calls the ``stripe`` SDK.

Funding is a PaymentIntent to the platform (card, Alipay, WeChat Pay) — separate charges and transfers, not a
manual-capture hold, which lapses in days. A payout is a Transfer to the payee's connected account with
``transfer_group`` = the deal; a refund goes through the Refund API against the funding PaymentIntent. Every
call carries an idempotency key derived from our reference, so a retried call never moves money twice.

Webhooks: ``webhook_parse`` verifies the signature with ``stripe.Webhook.construct_event`` (a forged or stale
one is refused), records each event id once (a replay is reported as a duplicate and changes nothing), and
reads the object's own state, so out-of-order events are harmless (a late ``payment_failed`` after
``succeeded`` is ignored; a ``refund.updated`` before ``refund.created`` confirms just the same).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction

from escrow.gateways.common import confirm, instruction_for, new_reference
from escrow.gateways.interface import (
    Confirmation,
    FundingInstructions,
    FundingRequest,
    IssuedInstruction,
    PaymentRail,
    PayoutRequest,
    RefundRequest,
)
from escrow.gateways.models import InstructionKind, InstructionStatus, Rail, RailEvent, RailInstruction
from marketplace.kernel.errors import DomainError
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import RuleBroken

PAYMENT_METHODS = ["card", "alipay", "wechat_pay"]


class StripeUnavailable(DomainError):
    status = 502
    default_code = "stripe_unavailable"


@dataclass(frozen=True)
class WebhookResult:
    event_id: str
    type: str
    outcome: str  # confirmed | duplicate | ignored | failed
    confirmations: tuple[Confirmation, ...] = ()


def client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE}, max_network_retries=0,
    )


def _call(fn, params: dict[str, Any], idempotency_key: str):
    try:
        return fn(params=params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as exc:
        raise StripeUnavailable("stripe", None, f"Stripe 拒绝或不可达：{exc.user_message or exc} / Stripe refused or unreachable")


class StripeRail(PaymentRail):
    name = Rail.STRIPE

    def funding_open(self, request: FundingRequest) -> FundingInstructions:
        reference = new_reference(InstructionKind.FUNDING)
        key = f"fund-{reference}"
        intent = _call(client().v1.payment_intents.create, {
            "amount": request.amount.amount, "currency": request.amount.currency.lower(),
            "payment_method_types": PAYMENT_METHODS, "transfer_group": request.group, "description": request.description,
            "metadata": {"reference": reference, "group": request.group},
        }, key)
        RailInstruction.objects.create(
            rail=self.name, kind=InstructionKind.FUNDING, reference=reference, group=request.group,
            amount=request.amount.amount, currency=request.amount.currency, payee_name=request.payer_name,
            external_id=intent.id, client_secret=intent.client_secret or "", idempotency_key=key,
        )
        return FundingInstructions(rail=self.name, reference=reference, amount=request.amount,
                                   pay_to={"payment_intent": intent.id, "client_secret": intent.client_secret or ""})

    def payout_issue(self, request: PayoutRequest) -> IssuedInstruction:
        if not request.payee_account.startswith("acct_"):
            raise RuleBroken([("payee_account", "payee_account_missing",
                               f"{request.payee_name} 未绑定 Stripe 收款账户 / no Stripe connected account")])
        reference = new_reference(InstructionKind.PAYOUT)
        RailInstruction.objects.create(
            rail=self.name, kind=InstructionKind.PAYOUT, reference=reference, group=request.group,
            amount=request.amount.amount, currency=request.amount.currency, payee=request.payee_account,
            payee_name=request.payee_name, idempotency_key=f"payout-{reference}",
        )
        return IssuedInstruction(self.name, InstructionKind.PAYOUT, reference, request.amount, "", confirmed=False)

    def refund_issue(self, request: RefundRequest) -> IssuedInstruction:
        funding = instruction_for(request.funding_reference, kind=InstructionKind.FUNDING, rail=self.name)
        reference = new_reference(InstructionKind.REFUND)
        RailInstruction.objects.create(
            rail=self.name, kind=InstructionKind.REFUND, reference=reference, group=request.group,
            amount=request.amount.amount, currency=request.amount.currency, payee=funding.external_id,
            payee_name=funding.payee_name, funding=funding, idempotency_key=f"refund-{reference}",
        )
        return IssuedInstruction(self.name, InstructionKind.REFUND, reference, request.amount, "", confirmed=False)

    @transaction.atomic
    def send(self, reference: str) -> Confirmation | None:
        """A Transfer (settles at once) or a Refund (settles now or by webhook), keyed by the instruction's
        idempotency key: sending twice moves the money once."""
        row = instruction_for(reference, rail=self.name)
        if row.status != InstructionStatus.OPEN:
            return None
        amount = Money(int(row.amount), row.currency)
        meta = {"reference": row.reference, "group": row.group}
        if row.kind == InstructionKind.PAYOUT:
            transfer = _call(client().v1.transfers.create, {
                "amount": row.amount, "currency": row.currency.lower(), "destination": row.payee,
                "transfer_group": row.group, "metadata": meta,
            }, row.idempotency_key)
            return confirm(row, event_id=f"api:{transfer.id}", event_type="transfer.api", amount=amount,
                           external_id=transfer.id)
        if row.kind == InstructionKind.REFUND:
            assert row.funding is not None
            refund = _call(client().v1.refunds.create, {
                "payment_intent": row.funding.external_id, "amount": row.amount, "metadata": meta,
            }, row.idempotency_key)
            if refund.status == "succeeded":
                return confirm(row, event_id=f"api:{refund.id}", event_type="refund.api", amount=amount,
                               external_id=refund.id)
            row.external_id = refund.id
            row.save(update_fields=["external_id"])
            return None
        raise RuleBroken([("reference", "not_sendable", "付款指令由付款人完成 / a funding is paid by the payer")])

    # ---- webhooks ----------------------------------------------------------------------------
    @transaction.atomic
    def webhook_parse(self, *, payload: bytes, signature: str) -> WebhookResult:
        try:
            event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET,
                                                   tolerance=settings.STRIPE_WEBHOOK_TOLERANCE)
        except ValueError:
            raise RuleBroken([("payload", "malformed_payload", "Webhook 内容不是有效 JSON / the payload is not JSON")])
        except stripe.SignatureVerificationError as exc:
            code = "stale_signature" if "tolerance" in str(exc).lower() else "bad_signature"
            raise RuleBroken([("Stripe-Signature", code, f"Webhook 签名无效或已过期 / signature invalid or stale: {exc}")])
        if RailEvent.objects.filter(rail=self.name, event_id=event.id).exists():
            return WebhookResult(event.id, event.type, "duplicate")
        obj = event.data.object.to_dict()
        reference = (obj.get("metadata") or {}).get("reference", "")
        outcome, confirmations, row = "ignored", [], None
        if event.type == "payment_intent.succeeded" and reference:
            row = instruction_for(reference, kind=InstructionKind.FUNDING, rail=self.name)
            if row.status != InstructionStatus.CONFIRMED:
                amount = Money(int(obj["amount_received"]), str(obj["currency"]).upper())
                confirmations.append(confirm(row, event_id=event.id, event_type=event.type, amount=amount,
                                             external_id=obj["id"], payload={"created": event.created}))
                outcome = "confirmed"
        elif event.type == "payment_intent.payment_failed" and reference:
            row = instruction_for(reference, kind=InstructionKind.FUNDING, rail=self.name)
            if row.status == InstructionStatus.OPEN:
                row.status = InstructionStatus.FAILED
                row.save(update_fields=["status"])
                outcome = "failed"
        elif event.type in ("refund.created", "refund.updated", "charge.refund.updated") and reference:
            row = instruction_for(reference, kind=InstructionKind.REFUND, rail=self.name)
            if obj.get("status") == "succeeded" and row.status != InstructionStatus.CONFIRMED:
                amount = Money(int(obj["amount"]), str(obj["currency"]).upper())
                confirmations.append(confirm(row, event_id=event.id, event_type=event.type, amount=amount,
                                             external_id=obj["id"], payload={"created": event.created}))
                outcome = "confirmed"
        elif event.type == "transfer.created" and reference:
            row = instruction_for(reference, kind=InstructionKind.PAYOUT, rail=self.name)
            if int(obj["amount"]) != row.amount:
                raise RuleBroken([("amount", "amount_mismatch", "转账金额与指令不符 / transfer amount does not match")])
        if outcome != "confirmed":
            RailEvent.objects.create(rail=self.name, event_id=event.id, type=event.type, instruction=row, outcome=outcome,
                                     payload={"created": event.created})
        return WebhookResult(event.id, event.type, outcome, tuple(confirmations))
