"""Deal pages: my deals, opening a deal, the room (readable and postable without JavaScript), offers with their
diff, brokers, documents, the NDA, the IP review report, the contract (HTML, PDF, confirmation), the operator list.

Views parse input, call one service or selector and render; every view looks the deal up through
``selectors.deal_get`` (a deal you may not see is a 404) and services refuse what you may not do (403).
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from listings.deals import access, selectors
from listings.deals.forms import BrokerForm, CommissionForm, EnquiryForm, FindingForm, NoteForm, OfferForm
from listings.deals.models import Deal, DealBroker, DealDocument, DealOffer, DealStatus
from listings.deals.services import contract as contract_services
from listings.deals.services import lifecycle, offers, parties, review
from listings.demands import permissions as demand_permissions
from listings.matching.models import DemandMatch
from listings.trading import selectors as trading_selectors
from listings.trading.models import Listing
from marketplace import permissions
from marketplace.kernel.errors import DomainError
from marketplace.models import Organisation


def _deal_or_404(request, pk) -> Deal:
    try:
        return selectors.deal_get(pk=pk, user=request.user)
    except Deal.DoesNotExist:
        raise Http404("没有这个交易 / no such deal") from None


def _acting_deal_or_404(request, pk) -> Deal:
    """The deal for a page that acts: a member who may only read it (no role of either side) gets a 403 naming
    that, before the form is read; the service checks the actor again inside its transaction."""
    deal = _deal_or_404(request, pk)
    if access.is_read_only(request.user, deal):
        raise PermissionDenied(access.READ_ONLY)
    return deal


def _refuse_if_not_permitted(exc: DomainError) -> None:
    """A permission refusal is a 403 page naming it (as the API answers), not a message on the room."""
    if exc.status == 403:
        raise PermissionDenied(exc.message) from exc


def _run(request, deal_pk, call, ok: str):
    """Call one service; a refusal of the state or the input becomes a message naming the problem, a refusal of the
    actor a 403 (``_refuse_if_not_permitted``); either way nothing is written."""
    try:
        call()
        messages.success(request, ok)
    except DomainError as exc:
        _refuse_if_not_permitted(exc)
        messages.error(request, "；".join(f"{m}" for _f, _c, m in exc.violations))
    return redirect("listings:deals:deal-room", pk=deal_pk)


@login_required
def my_deals(request):
    return render(request, "deals/my_deals.html", {"rows": selectors.my_deals(request.user),
                                                   "invitations": selectors.pending_broker_invitations(request.user)})


@login_required
def operator_deals(request):
    if not permissions.is_operator(request.user):
        raise PermissionDenied("仅运营人员 / operators only")
    status = request.GET.get("status", "")
    return render(request, "deals/operator_deals.html", {"deals": selectors.operator_deals(status=status),
                                                         "statuses": DealStatus.choices, "status": status})


@login_required
def deal_open(request, listing_pk):
    try:
        listing = trading_selectors.listing_get(pk=listing_pk, user=request.user)
    except Listing.DoesNotExist:
        raise Http404 from None
    organisations = permissions.organisations_for(request.user, demand_permissions.DEMAND_ROLES)
    form = EnquiryForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deal = lifecycle.deal_open_from_listing(
                listing=listing, by=request.user, buyer=data["organisation"], deal_type=data["deal_type"],
                licence_kind=data["licence_kind"], price_amount=data["price"], message=data["message"],
            )
            return redirect(deal.get_absolute_url())
        except DomainError as exc:
            for field, _code, message in exc.violations:
                form.add_error(field if field in form.fields else None, message)
    return render(request, "deals/enquiry_form.html", {"form": form, "listing": listing})


@login_required
@require_POST
def deal_open_from_match(request, match_pk):
    match = get_object_or_404(DemandMatch.objects.select_related("demand", "patent", "listing"), pk=match_pk)
    if not demand_permissions.can_view_demand(request.user, match.demand):
        raise Http404
    seller = get_object_or_404(Organisation, pk=request.POST.get("organisation"))
    try:
        deal = lifecycle.deal_open_from_match(
            match=match, by=request.user, seller=seller, deal_type=request.POST.get("deal_type", ""),
            licence_kind=request.POST.get("licence_kind", ""), message=request.POST.get("message", ""),
        )
    except DomainError as exc:
        messages.error(request, "；".join(m for _f, _c, m in exc.violations))
        return redirect("matching:matching-demands")
    return redirect(deal.get_absolute_url())


@login_required
def deal_room(request, pk):
    deal = _deal_or_404(request, pk)
    review_row = review.current_review(deal)
    documents = [(d, access.can_see_document(request.user, d)) for d in deal.documents.all()]
    return render(request, "deals/room.html", {
        "deal": deal, "side": access.acting_side(request.user, deal), "own_side": access.party_side(request.user, deal),
        "is_operator": permissions.is_operator(request.user), "messages_list": selectors.messages_since(deal, 0),
        "offers": selectors.deal_offers(deal), "brokers": deal.brokers.select_related("organisation"),
        "documents": documents, "review": review_row, "waiting": selectors.waiting_on(request.user, deal),
        "nda_accepted": deal.nda_acceptances.filter(user=request.user, text_sha256=deal.nda_sha256).exists(),
        "actions": [
            (action, ROOM_ACTIONS[action], f"listings:deals:deal-{action}")
            for action in lifecycle.DEAL_MACHINE.allowed_actions(deal.status) if action in ROOM_ACTIONS
        ], "commission_form": CommissionForm(),
        "broker_form": BrokerForm(), "note_form": NoteForm(),
    })


@login_required
@require_POST
def deal_post(request, pk):
    """Post a chat message without JavaScript (the socket adds liveness)."""
    deal = _acting_deal_or_404(request, pk)
    return _run(request, pk, lambda: parties.chat_post(deal=deal, by=request.user, body=request.POST.get("body", ""),
                                                       client_id=request.POST.get("client_id", "")), "已发送 / sent")


DEAL_ACTIONS = {
    "accept": lambda deal, user, reason: lifecycle.deal_accept(deal=deal, by=user, reason=reason),
    "decline": lambda deal, user, reason: lifecycle.deal_decline(deal=deal, by=user, reason=reason),
    "cancel": lambda deal, user, reason: lifecycle.deal_cancel(deal=deal, by=user, reason=reason),
    "revise": lambda deal, user, reason: lifecycle.deal_revise(deal=deal, by=user, reason=reason),
    "dispute": lambda deal, user, reason: lifecycle.deal_dispute(deal=deal, by=user, reason=reason),
    "resolve": lambda deal, user, reason: lifecycle.deal_dispute_resolve(deal=deal, by=user, reason=reason),
    "close": lambda deal, user, reason: lifecycle.deal_close(deal, user, reason),
}


@login_required
@require_POST
def deal_action(request, pk, action):
    deal = _acting_deal_or_404(request, pk)
    if action not in DEAL_ACTIONS:
        raise Http404
    return _run(request, pk, lambda: DEAL_ACTIONS[action](deal, request.user, request.POST.get("reason", "")), "已完成 / done")


@login_required
def offer_new(request, pk):
    deal = _acting_deal_or_404(request, pk)
    answers = None
    if request.GET.get("answers") or request.POST.get("answers"):
        answers = get_object_or_404(DealOffer, pk=request.GET.get("answers") or request.POST.get("answers"), deal=deal)
    initial = {}
    if answers is not None:
        initial = {"deal_type": answers.deal_type, "price": f"{answers.price_amount // 100}.{answers.price_amount % 100:02d}",
                   "licence_kind": answers.licence_kind, "territory": answers.territory, "field_of_use": answers.field_of_use,
                   "term_start": answers.term_start, "term_end": answers.term_end, "royalty_bps": answers.royalty_bps,
                   "milestones": "\n".join(f"{m['label']}|{m['amount'] // 100}.{m['amount'] % 100:02d}|{m['due']}" for m in answers.milestones)}
    form = OfferForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            offers.offer_make(deal=deal, by=request.user, terms=form.terms(), answers=answers,
                              message=form.cleaned_data["message"])
            messages.success(request, "报价已发出 / offer sent")
            return redirect(deal.get_absolute_url())
        except DomainError as exc:
            _refuse_if_not_permitted(exc)
            for field, _code, message in exc.violations:
                target = {"price_amount": "price"}.get(field, field)
                form.add_error(target if target in form.fields else None, message)
    return render(request, "deals/offer_form.html", {"deal": deal, "form": form, "answers": answers})


OFFER_ACTIONS = ("accept", "reject", "withdraw")
BROKER_ACTIONS = ("accept", "decline", "assign")
REVIEW_ACTIONS = ("mitigate", "proceed", "stop", "finding")
#: the deal actions a person takes from the room, with their labels (the others follow from offers, review, contract)
ROOM_ACTIONS = {
    "accept": _("接受意向"), "decline": _("拒绝意向"), "cancel": _("取消交易"), "revise": _("重新协商条款"),
    "dispute": _("提出争议"), "resolve": _("解决争议"), "close": _("完成交易"),
}


@login_required
@require_POST
def offer_action(request, pk, offer_pk, action):
    deal = _acting_deal_or_404(request, pk)
    offer = get_object_or_404(DealOffer, pk=offer_pk, deal=deal)
    calls = {
        "accept": lambda: offers.offer_accept(offer=offer, by=request.user),
        "reject": lambda: offers.offer_reject(offer=offer, by=request.user, reason=request.POST.get("reason", "")),
        "withdraw": lambda: offers.offer_withdraw(offer=offer, by=request.user),
    }
    if action not in calls:
        raise Http404
    return _run(request, pk, calls[action], "已完成 / done")


@login_required
@require_POST
def commission(request, pk):
    deal = _acting_deal_or_404(request, pk)
    form = CommissionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect(deal.get_absolute_url())
    data = form.cleaned_data
    return _run(request, pk, lambda: parties.commission_set(deal=deal, by=request.user, payer=data["payer"],
                                                            bps=data.get("bps"), fixed_amount=data.get("fixed")), "佣金已设定 / commission set")


@login_required
@require_POST
def broker(request, pk):
    deal = _acting_deal_or_404(request, pk)
    form = BrokerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect(deal.get_absolute_url())
    data = form.cleaned_data
    if data.get("organisation"):
        organisation = get_object_or_404(Organisation, pk=data["organisation"])
        call = lambda: parties.broker_invite(deal=deal, by=request.user, side=data["side"], organisation=organisation)  # noqa: E731
    else:
        call = lambda: parties.broker_request(deal=deal, by=request.user, side=data["side"], note=data.get("note", ""))  # noqa: E731
    return _run(request, pk, call, "已提交 / submitted")


@login_required
@require_POST
def broker_action(request, pk, broker_pk, action):
    row = get_object_or_404(DealBroker.objects.select_related("deal"), pk=broker_pk, deal_id=pk)
    if not (access.can_view_deal(request.user, row.deal) or permissions.is_operator(request.user)
            or (row.organisation_id and permissions.is_member(request.user, row.organisation))):
        raise Http404  # as the API answers: an outsider cannot tell that the row exists
    if action in ("accept", "decline"):
        call = lambda: parties.broker_answer(broker=row, by=request.user, accept=action == "accept")  # noqa: E731
    elif action == "assign":
        organisation = get_object_or_404(Organisation, pk=request.POST.get("organisation"))
        call = lambda: parties.broker_assign(broker=row, by=request.user, organisation=organisation)  # noqa: E731
    else:
        raise Http404
    try:
        call()
        messages.success(request, "已完成 / done")
    except DomainError as exc:
        _refuse_if_not_permitted(exc)
        messages.error(request, "；".join(m for _f, _c, m in exc.violations))
    if access.can_view_deal(request.user, row.deal):
        return redirect(row.deal.get_absolute_url())
    return redirect("listings:deals:my-deals")


@login_required
@require_POST
def document_upload(request, pk):
    deal = _acting_deal_or_404(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择文件 / choose a file")
        return redirect(deal.get_absolute_url())
    return _run(request, pk, lambda: parties.document_upload(deal=deal, by=request.user, upload=upload,
                                                             confidential=bool(request.POST.get("confidential"))), "已上传 / uploaded")


@login_required
def document_download(request, pk, document_pk):
    deal = _deal_or_404(request, pk)
    document = get_object_or_404(DealDocument, pk=document_pk, deal=deal)
    if not access.can_see_document(request.user, document):
        raise PermissionDenied("请先接受保密条款 / accept the NDA first")
    response = FileResponse(document.file.open("rb"), content_type=document.content_type, as_attachment=True,
                            filename=document.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def nda_accept(request, pk):
    deal = _acting_deal_or_404(request, pk)
    return _run(request, pk, lambda: parties.nda_accept(deal=deal, by=request.user, text_sha256=request.POST.get("sha256", "")),
                "已接受保密条款 / NDA accepted")


@login_required
def review_report(request, pk):
    deal = _deal_or_404(request, pk)
    return render(request, "deals/review.html", {"deal": deal, "review": review.current_review(deal),
                                                 "is_operator": permissions.is_operator(request.user),
                                                 "side": access.acting_side(request.user, deal),
                                                 "finding_form": FindingForm(), "note_form": NoteForm()})


@login_required
@require_POST
def review_action(request, pk, action):
    deal = _acting_deal_or_404(request, pk)
    row = review.current_review(deal)
    if row is None:
        raise Http404
    note = request.POST.get("note", "")
    calls = {
        "mitigate": lambda: review.review_mitigate(review=row, by=request.user, note=note),
        "proceed": lambda: review.review_decide(review=row, by=request.user, proceed=True, note=note),
        "stop": lambda: review.review_decide(review=row, by=request.user, proceed=False, note=note),
        "finding": lambda: review.review_finding_add(review=row, by=request.user, code=request.POST.get("code", ""),
                                                     severity=request.POST.get("severity", ""), text=request.POST.get("text", "")),
    }
    if action not in calls:
        raise Http404
    _run(request, pk, calls[action], "已记录 / recorded")
    return redirect("listings:deals:deal-review", pk=pk)


@login_required
def contract_view(request, pk):
    deal = _deal_or_404(request, pk)
    try:
        sections = contract_services.contract_sections(deal)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(deal.get_absolute_url())
    return render(request, "deals/contract.html", {
        "deal": deal, "sections": sections, "sha256": contract_services.contract_sha256(deal),
        "confirmations": contract_services.confirmations_valid(deal), "own_side": access.party_side(request.user, deal),
    })


@login_required
def contract_pdf(request, pk):
    deal = _deal_or_404(request, pk)
    if deal.agreed_offer_id is None:
        raise Http404
    response = HttpResponse(contract_services.contract_pdf(deal), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="deal-{deal.pk}-contract.pdf"'
    return response


@login_required
@require_POST
def contract_confirm(request, pk):
    deal = _acting_deal_or_404(request, pk)
    _run(request, pk, lambda: contract_services.contract_confirm(deal=deal, by=request.user,
                                                                 text_sha256=request.POST.get("sha256", "")), "已确认合同 / contract confirmed")
    return redirect("listings:deals:deal-contract", pk=pk)
