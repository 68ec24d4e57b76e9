"""Deal API: everything the deal pages can do — opening (enquiry, match), lifecycle actions, offers with their
diff, brokers, commission, the NDA, confidential documents, the IP review and the contract (text, PDF, confirmation).

Every endpoint is thin: it parses the body, looks the deal up among those the caller may see (any other is a 404),
calls one service (which refuses what the caller may not do with a 403, an illegal move with a 409 and a broken
rule with a 400 naming the field) and renders the result.
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from listings.deals import access, selectors
from listings.deals.models import (
    BrokerStatus,
    Deal,
    DealBroker,
    DealDocument,
    DealOffer,
)
from listings.deals.serializers import (
    CONTRACT,
    NDA,
    OFFER,
    REVIEW,
    BrokerAskSerializer,
    BrokerAssignSerializer,
    BrokerSerializer,
    ChatSerializer,
    CommissionSerializer,
    ContractConfirmSerializer,
    DealReasonSerializer,
    DealSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    EnquirySerializer,
    FindingSerializer,
    MatchDealSerializer,
    MessageSerializer,
    NdaSerializer,
    NoteSerializer,
    OfferTermsSerializer,
)
from listings.deals.services import contract as contract_services
from listings.deals.services import lifecycle, offers, parties, review
from listings.deals.services.room import message_payload
from listings.demands import permissions as demand_permissions
from listings.matching.models import DemandMatch
from listings.trading import selectors as trading_selectors
from listings.trading.models import Listing
from marketplace import permissions
from marketplace.kernel.api import DOMAIN_ERROR
from marketplace.kernel.errors import NotPermitted
from marketplace.models import Membership, Organisation

ERRORS = {400: DOMAIN_ERROR, 403: DOMAIN_ERROR, 404: OpenApiResponse(description="没有这个交易 / no such deal"),
          409: DOMAIN_ERROR}


# --------------------------------------------------------------------------------------------
# Payloads
# --------------------------------------------------------------------------------------------
def _review_payload(row) -> dict[str, Any]:
    return {
        "id": row.pk, "risk_level": row.risk_level, "state": row.state, "mitigation_note": row.mitigation_note,
        "decision_note": row.decision_note,
        "findings": [{"id": f.pk, "patent": f.patent_id, "code": f.code, "severity": f.severity, "text": f.text,
                      "automatic": f.automatic} for f in row.findings.all()],
    }


def _contract_payload(deal: Deal) -> dict[str, Any]:
    sections = contract_services.contract_sections(deal)
    return {
        "title": sections["title"], "text": contract_services.contract_text(deal),
        "sha256": contract_services.contract_sha256(deal),
        "confirmations": [{"side": c.side, "user": c.user_id, "sha256": c.text_sha256, "confirmed_at": c.confirmed_at}
                          for c in contract_services.confirmations_valid(deal)],
    }


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _user(request: Request) -> User:
    """The caller (``IsAuthenticated`` guards every endpoint, so never anonymous here)."""
    user = request.user
    if not isinstance(user, User):
        raise NotPermitted("请先登录 / log in first")
    return user


def _organisation(pk: int | None) -> Organisation:
    return get_object_or_404(Organisation, pk=pk)


ACTIONS = {
    "accept": lambda d, u, r: lifecycle.deal_accept(deal=d, by=u, reason=r),
    "decline": lambda d, u, r: lifecycle.deal_decline(deal=d, by=u, reason=r),
    "cancel": lambda d, u, r: lifecycle.deal_cancel(deal=d, by=u, reason=r),
    "revise": lambda d, u, r: lifecycle.deal_revise(deal=d, by=u, reason=r),
    "dispute": lambda d, u, r: lifecycle.deal_dispute(deal=d, by=u, reason=r),
    "resolve": lambda d, u, r: lifecycle.deal_dispute_resolve(deal=d, by=u, reason=r),
    "close": lambda d, u, r: lifecycle.deal_close(d, u, r),
}


def _acting(viewset, request: Request) -> Deal:
    """The deal for a write: a member who may only read it (no role of either side) is refused before the body is
    read, so the answer does not depend on the body. The service checks the actor again inside its transaction."""
    deal = viewset.get_object()
    if access.is_read_only(_user(request), deal):
        raise access.read_only_refusal()
    return deal


def _route(attr: str, url_path: str, summary: str, request: Any, response: Any, run) -> Any:
    """One POST route of the deal viewset: its own URL, URL name (``deal-<attr with dashes>``) and operation."""

    def view(self, request: Request, pk: str | None = None, **kwargs: str) -> Response:
        _acting(self, request)
        return run(self, request, _valid(request_serializer, request), **kwargs)

    request_serializer = request
    view.__name__ = attr
    view.__doc__ = summary
    view = action(detail=True, methods=["post"], url_path=url_path)(view)
    return extend_schema(operation_id=f"deals_{attr}", summary=summary, request=request,
                         responses={200: response, **ERRORS})(view)


def _deal_action(name: str, summary: str) -> Any:
    def run(viewset, request: Request, data: dict[str, Any]) -> Response:
        return Response(DealSerializer(ACTIONS[name](viewset.get_object(), _user(request), data["reason"])).data)

    return _route(name, name, summary, DealReasonSerializer, DealSerializer, run)


def _offer_action(name: str, summary: str) -> Any:
    def run(viewset, request: Request, data: dict[str, Any], offer_pk: str) -> Response:
        offer = get_object_or_404(DealOffer, pk=offer_pk, deal=viewset.get_object())
        if name == "accept":
            offer = offers.offer_accept(offer=offer, by=_user(request))
        elif name == "reject":
            offer = offers.offer_reject(offer=offer, by=_user(request), reason=data["reason"])
        else:
            offer = offers.offer_withdraw(offer=offer, by=_user(request))
        return Response(selectors.offer_payload(offer))

    route = _route(f"offer_{name}", rf"offers/(?P<offer_pk>[0-9]+)/{name}", summary, DealReasonSerializer, OFFER, run)
    return extend_schema(parameters=[OpenApiParameter("offer_pk", int, OpenApiParameter.PATH)])(route)


def _review_action(name: str, summary: str) -> Any:
    def run(viewset, request: Request, data: dict[str, Any]) -> Response:
        row = review.current_review(viewset.get_object())
        if row is None:
            raise Http404("尚无知识产权评议 / no IP review yet")
        if name == "mitigate":
            row = review.review_mitigate(review=row, by=_user(request), note=data["note"])
        else:
            row = review.review_decide(review=row, by=_user(request), proceed=name == "proceed", note=data["note"])
        return Response(_review_payload(row))

    return _route(f"review_{name}", f"review/{name}", summary, NoteSerializer, REVIEW, run)


class DealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Only deals you take part in (or all, for operators); any other is a 404."""

    serializer_class = DealSerializer
    permission_classes = [drf_permissions.IsAuthenticated]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[Deal]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Deal.objects.none()
        return access.deals_visible_to(_user(self.request)).select_related("seller", "buyer").order_by("-updated_at")

    # opening ---------------------------------------------------------------------------------
    @extend_schema(summary="Open a deal from a published listing (enquiry, 意向)", request=EnquirySerializer,
                   responses={201: DealSerializer, **ERRORS})
    @action(detail=False, methods=["post"])
    def enquiry(self, request: Request) -> Response:
        data = _valid(EnquirySerializer, request)
        try:
            listing = trading_selectors.listing_get(pk=data["listing"], user=_user(request))
        except Listing.DoesNotExist:
            raise Http404("没有这个挂牌 / no such listing") from None
        buyer = _organisation(data["organisation"])
        deal = lifecycle.deal_open_from_listing(
            listing=listing, by=_user(request), buyer=buyer, deal_type=data["deal_type"], licence_kind=data["licence_kind"],
            price_amount=data["price_amount"], message=data["message"],
        )
        return Response(DealSerializer(deal).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Open a deal from a demand's match (推荐给需求方)", request=MatchDealSerializer,
                   responses={201: DealSerializer, **ERRORS})
    @action(detail=False, methods=["post"], url_path="from-match")
    def from_match(self, request: Request) -> Response:
        data = _valid(MatchDealSerializer, request)
        match = get_object_or_404(DemandMatch.objects.select_related("demand", "patent", "listing"), pk=data["match"])
        if not demand_permissions.can_view_demand(_user(request), match.demand):
            raise Http404("没有这个匹配 / no such match")
        deal = lifecycle.deal_open_from_match(
            match=match, by=_user(request), seller=_organisation(data["organisation"]), deal_type=data["deal_type"],
            licence_kind=data["licence_kind"], price_amount=data["price_amount"], message=data["message"],
        )
        return Response(DealSerializer(deal).data, status=status.HTTP_201_CREATED)

    # the room --------------------------------------------------------------------------------
    @extend_schema(summary="Room messages after last_seq, in order", parameters=[OpenApiParameter("last_seq", int)],
                   responses=MessageSerializer(many=True))
    @action(detail=True, methods=["get"])
    def messages(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        try:
            last_seq = max(0, int(request.query_params.get("last_seq", 0)))
        except ValueError:
            return Response({"errors": {"last_seq": ["须为整数 / an integer"]}}, status=status.HTTP_400_BAD_REQUEST)
        return Response([message_payload(m) for m in selectors.messages_since(deal, last_seq)])

    @extend_schema(summary="Post a chat message", request=ChatSerializer, responses={201: MessageSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def chat(self, request: Request, pk: str | None = None) -> Response:
        deal = _acting(self, request)
        data = _valid(ChatSerializer, request)
        message = parties.chat_post(deal=deal, by=_user(request), **data)
        return Response(message_payload(message), status=status.HTTP_201_CREATED)

    # lifecycle actions: one URL and one URL name each (``deal-accept`` …), built by ``_deal_action`` below
    accept = _deal_action("accept", "Accept the enquiry (the side that did not open the deal): the deal starts")
    decline = _deal_action("decline", "Decline the enquiry (the side that did not open the deal)")
    cancel = _deal_action("cancel", "Break off the deal (a party or an operator)")
    revise = _deal_action("revise", "Back to negotiating for revised terms; confirmations are void")
    dispute = _deal_action("dispute", "Dispute the agreed terms or the contract (reason required)")
    resolve = _deal_action("resolve", "Settle a dispute (operator, reason required): back to IP review")
    close = _deal_action("close", "Close the confirmed deal without a settlement domain (seller or operator)")

    # offers ----------------------------------------------------------------------------------
    @extend_schema(methods=["GET"], summary="Offers with their differences", responses={200: OFFER})
    @extend_schema(methods=["POST"], summary="Make an offer, or a counter-offer with `answers`",
                   request=OfferTermsSerializer, responses={201: OFFER, **ERRORS})
    @action(detail=True, methods=["get", "post"])
    def offers(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        if request.method == "GET":
            return Response([selectors.offer_payload(o) for o in selectors.deal_offers(deal)])
        deal = _acting(self, request)
        data = _valid(OfferTermsSerializer, request)
        answers_pk, message = data.pop("answers"), data.pop("message")
        answers = get_object_or_404(DealOffer, pk=answers_pk, deal=deal) if answers_pk else None
        data["milestones"] = [dict(m) for m in data["milestones"]]
        offer = offers.offer_make(deal=deal, by=_user(request), terms=data, answers=answers, message=message)
        return Response(selectors.offer_payload(offer), status=status.HTTP_201_CREATED)

    offer_accept = _offer_action("accept", "Accept an offer (the other side): its terms become the agreed terms")
    offer_reject = _offer_action("reject", "Reject an offer (the other side)")
    offer_withdraw = _offer_action("withdraw", "Withdraw your side's open offer")

    # brokers and commission ------------------------------------------------------------------
    @extend_schema(methods=["GET"], summary="The deal's brokers (invited, requested, accepted, declined)",
                   responses={200: BrokerSerializer(many=True)})
    @extend_schema(methods=["POST"], summary="Invite a broker organisation for your side, or ask the operators to assign one",
                   request=BrokerAskSerializer, responses={201: BrokerSerializer, **ERRORS})
    @action(detail=True, methods=["get", "post"])
    def brokers(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        if request.method == "GET":
            return Response(BrokerSerializer(deal.brokers.select_related("organisation"), many=True).data)
        deal = _acting(self, request)
        data = _valid(BrokerAskSerializer, request)
        if data["organisation"]:
            row = parties.broker_invite(deal=deal, by=_user(request), side=data["side"],
                                        organisation=_organisation(data["organisation"]))
        else:
            row = parties.broker_request(deal=deal, by=_user(request), side=data["side"], note=data["note"])
        return Response(BrokerSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Set the broker commission (basis points or a fixed amount in fen) and who pays it",
                   request=CommissionSerializer, responses={200: DealSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def commission(self, request: Request, pk: str | None = None) -> Response:
        deal = _acting(self, request)
        data = _valid(CommissionSerializer, request)
        deal = parties.commission_set(deal=deal, by=_user(request), payer=data["payer"], bps=data["bps"],
                                      fixed_amount=data["fixed_amount"])
        return Response(DealSerializer(deal).data)

    # NDA and documents -----------------------------------------------------------------------
    @extend_schema(methods=["GET"], summary="The NDA text, its sha256 and whether you accepted it", responses={200: NDA})
    @extend_schema(methods=["POST"], summary="Accept the NDA text you were shown (buyer side)", request=NdaSerializer,
                   responses={201: NDA, **ERRORS})
    @action(detail=True, methods=["get", "post"])
    def nda(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        code: int = status.HTTP_200_OK
        if request.method == "POST":
            _acting(self, request)
            parties.nda_accept(deal=deal, by=_user(request), text_sha256=_valid(NdaSerializer, request)["sha256"])
            code = status.HTTP_201_CREATED
        accepted = deal.nda_acceptances.filter(user=_user(request), text_sha256=deal.nda_sha256).exists()
        return Response({"text": deal.nda_text, "sha256": deal.nda_sha256, "accepted": accepted}, status=code)

    @extend_schema(methods=["GET"], summary="The deal's documents (confidential ones flagged invisible until the NDA)",
                   responses={200: DocumentSerializer(many=True)})
    @extend_schema(methods=["POST"], summary="Upload a document (checked by magic bytes; the seller may mark it confidential)",
                   request={"multipart/form-data": DocumentUploadSerializer}, responses={201: DocumentSerializer, **ERRORS})
    @action(detail=True, methods=["get", "post"])
    def documents(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        context = {"request": request}
        if request.method == "GET":
            return Response(DocumentSerializer(deal.documents.all(), many=True, context=context).data)
        deal = _acting(self, request)
        data = _valid(DocumentUploadSerializer, request)
        document = parties.document_upload(deal=deal, by=_user(request), upload=data["file"],
                                           confidential=data["confidential"])
        return Response(DocumentSerializer(document, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Download a document (a confidential one only after the buyer accepted the NDA)",
                   parameters=[OpenApiParameter("document_pk", int, OpenApiParameter.PATH)],
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 403: DOMAIN_ERROR})
    @action(detail=True, methods=["get"], url_path=r"documents/(?P<document_pk>[0-9]+)/download")
    def document_download(self, request: Request, pk: str | None = None, document_pk: str | None = None) -> FileResponse:
        deal = self.get_object()
        document = get_object_or_404(DealDocument, pk=document_pk, deal=deal)
        if not access.can_see_document(_user(request), document):
            raise NotPermitted("请先接受保密条款 / accept the NDA first")
        response = FileResponse(document.file.open("rb"), content_type=document.content_type, as_attachment=True,
                                filename=document.original_name)
        response["X-Content-Type-Options"] = "nosniff"
        return response

    # IP review -------------------------------------------------------------------------------
    @extend_schema(summary="The current IP review: risk level, state and findings", responses={200: REVIEW, 404: None})
    @action(detail=True, methods=["get"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        row = review.current_review(self.get_object())
        if row is None:
            raise Http404("尚无知识产权评议 / no IP review yet")
        return Response(_review_payload(row))

    @extend_schema(summary="Add a manual finding (operators: invalidation, litigation, ownership dispute …)",
                   request=FindingSerializer, responses={201: REVIEW, **ERRORS})
    @action(detail=True, methods=["post"], url_path="review/findings")
    def review_finding(self, request: Request, pk: str | None = None) -> Response:
        from listings.catalogue.models import Patent

        row = review.current_review(_acting(self, request))
        if row is None:
            raise Http404("尚无知识产权评议 / no IP review yet")
        data = _valid(FindingSerializer, request)
        patent = get_object_or_404(Patent, pk=data["patent"]) if data["patent"] else None
        review.review_finding_add(review=row, by=_user(request), code=data["code"], severity=data["severity"],
                                  text=data["text"], patent=patent)
        row.refresh_from_db()
        return Response(_review_payload(row), status=status.HTTP_201_CREATED)

    review_mitigate = _review_action("mitigate", "A party's mitigation of a medium-risk review")
    review_proceed = _review_action("proceed", "An operator lets a high-risk review proceed")
    review_stop = _review_action("stop", "An operator stops the deal on a high-risk review")

    # contract --------------------------------------------------------------------------------
    @extend_schema(summary="The contract generated from the agreed terms: text, sha256, valid confirmations",
                   responses={200: CONTRACT, **ERRORS})
    @action(detail=True, methods=["get"])
    def contract(self, request: Request, pk: str | None = None) -> Response:
        return Response(_contract_payload(self.get_object()))

    @extend_schema(summary="The contract as PDF (Chinese text, extractable)",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS})
    @action(detail=True, methods=["get"], url_path="contract/pdf")
    def contract_pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        deal = self.get_object()
        contract_services.contract_sections(deal)  # refuses (400) before there are agreed terms
        response = HttpResponse(contract_services.contract_pdf(deal), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="deal-{deal.pk}-contract.pdf"'
        return response

    @extend_schema(summary="Confirm the contract text you were shown (each party's own member)",
                   request=ContractConfirmSerializer, responses={201: CONTRACT, **ERRORS})
    @action(detail=True, methods=["post"], url_path="contract/confirm")
    def contract_confirm(self, request: Request, pk: str | None = None) -> Response:
        deal = _acting(self, request)
        contract_services.contract_confirm(deal=deal, by=_user(request),
                                           text_sha256=_valid(ContractConfirmSerializer, request)["sha256"])
        deal.refresh_from_db()
        return Response(_contract_payload(deal), status=status.HTTP_201_CREATED)


class DealBrokerViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Broker rows you may answer: invitations to your broker organisation, and (operators) requests to assign one.

    An invited broker is not yet a party, so these live outside ``/api/deals/{id}/``; any other row is a 404."""

    serializer_class = BrokerSerializer
    permission_classes = [drf_permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[DealBroker]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return DealBroker.objects.none()
        user = _user(self.request)
        rows = DealBroker.objects.select_related("organisation", "deal").order_by("-pk")
        mine = Q(status=BrokerStatus.INVITED, organisation__memberships__user=user,
                 organisation__memberships__role=Membership.Role.BROKER)
        if permissions.is_operator(user):
            return rows.filter(mine | Q(status__in=(BrokerStatus.REQUESTED, BrokerStatus.INVITED))).distinct()
        return rows.filter(mine).distinct()

    @extend_schema(summary="The invited broker organisation accepts (it joins the deal for that side)", request=None,
                   responses={200: BrokerSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        return Response(BrokerSerializer(parties.broker_answer(broker=self.get_object(), by=_user(request), accept=True)).data)

    @extend_schema(summary="The invited broker organisation declines", request=None,
                   responses={200: BrokerSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        return Response(BrokerSerializer(parties.broker_answer(broker=self.get_object(), by=_user(request), accept=False)).data)

    @extend_schema(summary="An operator answers a request by naming a broker organisation (which then accepts)",
                   request=BrokerAssignSerializer, responses={200: BrokerSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        broker = self.get_object()
        if not permissions.is_operator(request.user):  # who is asking before what is asked
            raise NotPermitted("只有运营方可以指派经纪机构 / only an operator assigns a broker", code="operator_only")
        data = _valid(BrokerAssignSerializer, request)
        row = parties.broker_assign(broker=broker, by=_user(request), organisation=_organisation(data["organisation"]))
        return Response(BrokerSerializer(row).data)
