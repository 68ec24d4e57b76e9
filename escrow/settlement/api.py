"""Escrow API for the parties of a deal and the operators: a deal's escrow (state, amounts in fen with the currency,
the fee / commission / seller-receives split fixed before funding, funding instructions with their reference),
statements (per deal, per organisation as buyer, seller or broker), the operators' reconciliation, and the actions a
party may take (ask for funding instructions, request release with evidence, accept a milestone, open a dispute).

Thin as the deals API: an escrow is looked up among the deals the caller may see (any other is a 404); one service
is called, which refuses a caller of the wrong side with a 403, an illegal move with a 409 and a broken rule with a
400 naming the field. Evidence uploads go through the kernel's upload checks inside ``escrow_release_request``.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions as drf_permissions
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from escrow.gateways.models import Rail, RailInstruction
from escrow.settlement import selectors, services
from escrow.settlement.models import Escrow, EscrowMilestone, MilestoneStatus
from listings.deals import access
from listings.deals.models import Side
from marketplace import permissions
from marketplace.kernel.api import DOMAIN_ERROR
from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.money import MINOR_UNITS
from marketplace.kernel.statemachine import RuleBroken
from marketplace.models import Organisation

ERRORS = {400: DOMAIN_ERROR, 403: DOMAIN_ERROR, 404: OpenApiResponse(description="没有这个托管 / no such escrow"),
          409: DOMAIN_ERROR}
FEN = "fen (分), an integer in the currency's minor unit"


# --------------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------------
class InstructionsSerializer(serializers.Serializer):
    rail = serializers.CharField()
    reference = serializers.CharField(help_text="quote it with the transfer (bank) / the PaymentIntent's metadata")
    amount = serializers.IntegerField(help_text=FEN)
    currency = serializers.CharField()
    pay_to = serializers.DictField(child=serializers.CharField(), help_text="bank account details, or Stripe's "
                                                                            "payment_intent and client_secret")


class SplitSerializer(serializers.Serializer):
    """How an amount splits (``escrow.settlement.fees.breakdown``): the same six figures for an escrow and a milestone."""

    price = serializers.IntegerField(help_text=FEN)
    fee = serializers.IntegerField(help_text=FEN)
    buyer_commission = serializers.IntegerField(help_text=FEN)
    seller_commission = serializers.IntegerField(help_text=FEN)
    buyer_pays = serializers.IntegerField(help_text=FEN)
    seller_receives = serializers.IntegerField(help_text=FEN)


class EscrowMilestoneSerializer(SplitSerializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    status = serializers.CharField()
    is_final = serializers.BooleanField(help_text="released on the recordal / filing evidence, not on acceptance")
    funding_rail = serializers.CharField(allow_blank=True)
    funding_reference = serializers.CharField(allow_blank=True)
    funding_instructions = InstructionsSerializer(allow_null=True, help_text="the buyer side and operators only")
    delivered_at = serializers.DateTimeField(allow_null=True)
    settled_at = serializers.DateTimeField(allow_null=True)


class EscrowSerializer(SplitSerializer):
    deal = serializers.IntegerField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    currency = serializers.CharField()
    fee_bps = serializers.IntegerField(help_text="the exchange's fee in basis points (100 = 1%)")
    commission = serializers.IntegerField(help_text=FEN)
    held = serializers.IntegerField(help_text=FEN)
    funding_deadline = serializers.DateTimeField()
    inspection_days = serializers.IntegerField()
    evidence_kind = serializers.CharField()
    evidence_number = serializers.CharField(allow_blank=True)
    evidence_date = serializers.DateField(allow_null=True)
    your_side = serializers.CharField(allow_null=True, help_text="seller, buyer, or null (operator)")
    milestones = EscrowMilestoneSerializer(many=True)


class StatementLineSerializer(serializers.Serializer):
    date = serializers.CharField()
    transaction = serializers.IntegerField()
    kind = serializers.CharField()
    memo = serializers.CharField(allow_blank=True)
    account_type = serializers.CharField()
    debit = serializers.IntegerField(help_text=FEN)
    credit = serializers.IntegerField(help_text=FEN)


class StatementSerializer(serializers.Serializer):
    title = serializers.CharField()
    currency = serializers.CharField()
    lines = StatementLineSerializer(many=True)
    totals = serializers.DictField(child=serializers.IntegerField(), help_text=FEN)
    balances = serializers.DictField(child=serializers.IntegerField(), help_text="account type → balance in " + FEN)


DEAL_STATEMENT = inline_serializer("EscrowDealStatement", fields={
    "deal": serializers.IntegerField(), "currency": serializers.CharField(),
    "totals": serializers.DictField(child=serializers.IntegerField(), help_text="buyer_paid, seller_received, fee, "
                                    "commission, refunded, held — " + FEN),
})
RECONCILIATION = inline_serializer("EscrowReconciliation", fields={
    "agrees": serializers.BooleanField(),
    "differences": serializers.ListField(child=inline_serializer("ReconciliationDifference", fields={
        "rail": serializers.CharField(allow_blank=True), "reference": serializers.CharField(),
        "kind": serializers.CharField(), "problem": serializers.CharField(),
        "ledger_amount": serializers.IntegerField(allow_null=True), "rail_amount": serializers.IntegerField(allow_null=True),
    })),
    "in_transit": serializers.ListField(child=InstructionsSerializer()),
})


class FundSerializer(serializers.Serializer):
    milestone = serializers.IntegerField(help_text="the milestone's id")
    rail = serializers.ChoiceField(choices=Rail.choices, default=Rail.BANK)


class MilestonePickSerializer(serializers.Serializer):
    milestone = serializers.IntegerField(help_text="the milestone's id")


class ReleaseRequestSerializer(serializers.Serializer):
    """CNIPA's notice of the registered transfer (an assignment) or the licence's record filing (备案)."""

    number = serializers.CharField(max_length=80, help_text="notice number or filing number")
    date = serializers.DateField(help_text="date of the registration or filing (not in the future)")
    file = serializers.FileField(help_text="the notice or filing certificate (PDF or image; checked by magic bytes)")


class DisputeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


# --------------------------------------------------------------------------------------------
# Payloads
# --------------------------------------------------------------------------------------------
def _instructions(m: EscrowMilestone) -> dict[str, Any] | None:
    """The open funding instructions of a milestone (what the buyer pays, where, quoting which reference)."""
    if m.status != MilestoneStatus.AWAITING_FUNDING or not m.funding_reference:
        return None
    row = RailInstruction.objects.filter(reference=m.funding_reference).first()
    if row is None:
        return None
    if row.rail == Rail.BANK:
        account = settings.ESCROW_BANK_ACCOUNT
        pay_to = {"bank": account["bank"], "account_name": account["name"], "account_number": account["number"],
                  "reference": row.reference}
    else:
        pay_to = {"payment_intent": row.external_id, "client_secret": row.client_secret}
    return {"rail": row.rail, "reference": row.reference, "amount": row.amount, "currency": row.currency,
            "pay_to": pay_to}


def escrow_payload(escrow: Escrow, user: User) -> dict[str, Any]:
    side = access.acting_side(user, escrow.deal)
    sees_instructions = side == Side.BUYER or permissions.is_operator(user)
    return {
        "deal": escrow.deal_id, "status": escrow.status, "status_display": str(escrow.get_status_display()),
        "currency": escrow.currency, "price": escrow.price_amount, "fee": escrow.fee_amount, "fee_bps": escrow.fee_bps,
        "buyer_commission": escrow.buyer_commission_amount, "seller_commission": escrow.seller_commission_amount,
        "commission": escrow.commission_amount, "buyer_pays": escrow.funding_total_amount,
        "seller_receives": escrow.seller_net_amount, "held": selectors.held_amount(escrow).amount,
        "funding_deadline": escrow.funding_deadline, "inspection_days": escrow.inspection_days,
        "evidence_kind": escrow.evidence_kind, "evidence_number": escrow.evidence_number,
        "evidence_date": escrow.evidence_date, "your_side": side,
        "milestones": [{
            "id": m.pk, "position": m.position, "label": m.label, "status": m.status, "is_final": m.is_final,
            "price": m.price_amount, "fee": m.fee_amount, "buyer_commission": m.buyer_commission_amount,
            "seller_commission": m.seller_commission_amount, "buyer_pays": m.funding_amount,
            "seller_receives": m.seller_net_amount, "funding_rail": m.funding_rail,
            "funding_reference": m.funding_reference if sees_instructions else "",
            "funding_instructions": _instructions(m) if sees_instructions else None,
            "delivered_at": m.delivered_at, "settled_at": m.settled_at,
        } for m in selectors.milestones_of(escrow)],
    }


def _statement_payload(statement: selectors.Statement) -> dict[str, Any]:
    return {"title": statement.title, "currency": statement.currency, "totals": statement.totals,
            "balances": statement.balances, "lines": [line.__dict__ for line in statement.lines]}


def _user(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):
        raise NotPermitted("请先登录 / log in first")
    return user


def _id(value: Any) -> int:
    """A path id as a database integer; anything else names nothing (404)."""
    try:
        number = int(str(value))
    except ValueError:
        raise Http404("没有这个对象 / no such object")
    if not 0 < number < 2**63:
        raise Http404("没有这个对象 / no such object")
    return number


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


# --------------------------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------------------------
DEAL = OpenApiParameter("deal", int, OpenApiParameter.PATH, description="the deal's id")


@extend_schema(parameters=[DEAL])
class EscrowViewSet(viewsets.GenericViewSet):
    """A deal's escrow, addressed by the deal's id: its parties (and their accepted brokers) and operators only;
    for anyone else it does not exist (404)."""

    permission_classes = [drf_permissions.IsAuthenticated]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    lookup_field = "deal"
    lookup_value_regex = r"[0-9]+"
    serializer_class = EscrowSerializer

    def get_queryset(self) -> QuerySet[Escrow]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Escrow.objects.none()
        return Escrow.objects.filter(deal__in=access.deals_visible_to(_user(self.request))).select_related("deal")

    def _escrow(self) -> Escrow:
        return get_object_or_404(self.get_queryset(), deal_id=_id(self.kwargs["deal"]))

    def _acting(self, request: Request) -> Escrow:
        """The escrow for a write: a member of a party who may only read the deal (no role of its side: a lender or
        finance member following the money) is refused before the body is read; the service checks again."""
        escrow = self._escrow()
        if access.is_read_only(_user(request), escrow.deal):
            raise access.read_only_refusal()
        return escrow

    def _answer(self, request: Request) -> Response:
        return Response(escrow_payload(self._escrow(), _user(request)))

    @extend_schema(summary="The escrow of a deal: state, amounts, the split, milestones, funding instructions",
                   responses={200: EscrowSerializer, 404: ERRORS[404]})
    def retrieve(self, request: Request, deal: str | None = None) -> Response:
        return self._answer(request)

    @extend_schema(summary="The deal's money from every side (buyer paid, seller received, fee, commission, refunded, "
                           "held)", responses={200: DEAL_STATEMENT, 404: ERRORS[404]})
    @action(detail=True, methods=["get"])
    def statement(self, request: Request, deal: str | None = None) -> Response:
        escrow = self._escrow()
        return Response({"deal": escrow.deal_id, "currency": escrow.currency,
                         "totals": selectors.deal_statement_totals(escrow)})

    @extend_schema(summary="Buyer: funding instructions for one milestone (bank reference or Stripe PaymentIntent)",
                   request=FundSerializer, responses={200: InstructionsSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def fund(self, request: Request, deal: str | None = None) -> Response:
        escrow = self._acting(request)
        data = _valid(FundSerializer, request)
        milestone = get_object_or_404(EscrowMilestone, pk=data["milestone"], escrow=escrow)
        ins = services.milestone_funding_open(milestone=milestone, by=_user(request), rail=data["rail"])
        return Response({"rail": ins.rail, "reference": ins.reference, "amount": ins.amount.amount,
                         "currency": ins.amount.currency, "pay_to": ins.pay_to})

    @extend_schema(summary="Seller: request release with the recordal or filing evidence (multipart upload)",
                   request={"multipart/form-data": ReleaseRequestSerializer},
                   responses={200: EscrowSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="request-release")
    def request_release(self, request: Request, deal: str | None = None) -> Response:
        escrow = self._acting(request)
        data = _valid(ReleaseRequestSerializer, request)
        services.escrow_release_request(escrow=escrow, by=_user(request), number=data["number"], date=data["date"],
                                        file=data["file"])
        return self._answer(request)

    @extend_schema(summary="Buyer: accept a delivered milestone (it is released)", request=MilestonePickSerializer,
                   responses={200: EscrowSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, deal: str | None = None) -> Response:
        escrow = self._acting(request)
        data = _valid(MilestonePickSerializer, request)
        milestone = get_object_or_404(EscrowMilestone, pk=data["milestone"], escrow=escrow)
        services.milestone_accept(milestone=milestone, by=_user(request))
        return self._answer(request)

    @extend_schema(summary="Either side: dispute (the escrow is frozen until an operator resolves it)",
                   request=DisputeSerializer, responses={200: EscrowSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def dispute(self, request: Request, deal: str | None = None) -> Response:
        escrow = self._acting(request)
        data = _valid(DisputeSerializer, request)
        services.escrow_dispute(escrow=escrow, by=_user(request), reason=data["reason"])
        return self._answer(request)


@extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="the organisation's id")])
class EscrowStatementViewSet(viewsets.GenericViewSet):
    """An organisation's statement as buyer, seller or broker: its members and operators only (404 otherwise)."""

    permission_classes = [drf_permissions.IsAuthenticated]
    lookup_value_regex = r"[0-9]+"
    serializer_class = StatementSerializer

    @extend_schema(summary="An organisation's escrow statement (entries, totals, balances) in one currency",
                   parameters=[OpenApiParameter("currency", str, description="ISO code, default CNY")],
                   responses={200: StatementSerializer, 400: DOMAIN_ERROR, 404: ERRORS[404]})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        organisation = get_object_or_404(Organisation, pk=_id(pk))
        user = _user(request)
        if not (permissions.is_member(user, organisation) or permissions.is_operator(user)):
            raise Http404("没有这个对账单 / no such statement")
        currency = str(request.query_params.get("currency", "CNY")).upper()
        if currency not in MINOR_UNITS:
            raise RuleBroken([("currency", "unsupported_currency", f"不支持的币种 {currency[:8]!r} / unsupported currency")])
        return Response(_statement_payload(selectors.party_statement(organisation, currency)))


class EscrowReconciliationViewSet(viewsets.ViewSet):
    """Operators: every difference between the ledger and each rail's records, and what is still in transit."""

    permission_classes = [drf_permissions.IsAuthenticated]

    @extend_schema(summary="Operators: reconciliation of the ledger with the rails", responses={200: RECONCILIATION,
                                                                                                403: DOMAIN_ERROR})
    def list(self, request: Request) -> Response:
        if not permissions.is_operator(_user(request)):
            raise NotPermitted("仅运营人员 / operators only")
        differences = selectors.reconciliation()
        return Response({
            "agrees": not differences,
            "differences": [d.__dict__ for d in differences],
            "in_transit": [{"rail": i.rail, "reference": i.reference, "amount": i.amount, "currency": i.currency,
                            "pay_to": {"kind": i.kind, "payee": i.payee, "payee_name": i.payee_name}}
                           for i in selectors.open_instructions()[:500]],
        })
