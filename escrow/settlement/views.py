"""Escrow pages: a deal's escrow (the split shown before funding, milestones, actions), the operator's desk
(receipts, statements), statements per party and for the exchange, the reconciliation (pages and CSV), and the
Stripe webhook. Views parse input, call one service or selector, and render; a refusal is shown naming the problem."""
from __future__ import annotations

import csv
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from escrow.settlement import selectors, services
from escrow.settlement.fees import breakdown
from escrow.settlement.models import Escrow, EscrowMilestone
from listings.deals import access
from marketplace import permissions
from marketplace.kernel.errors import DomainError
from marketplace.kernel.money import Money
from marketplace.models import Organisation


def _escrow_or_404(request, deal_pk: int) -> Escrow:
    escrow = selectors.escrow_for_deal(deal_pk)
    if escrow is None or not access.can_view_deal(request.user, escrow.deal):
        raise Http404("没有这个托管 / no such escrow")
    return escrow


def _require_operator(request) -> None:
    if not permissions.is_operator(request.user):
        raise PermissionDenied("仅运营人员 / operators only")


def _refused(request, exc: DomainError) -> None:
    for field, _code, message in exc.violations:
        messages.error(request, f"{field}: {message}")


@login_required
def escrow_page(request, deal_pk: int):
    escrow = _escrow_or_404(request, deal_pk)
    return render(request, "settlement/escrow.html", {
        "escrow": escrow, "deal": escrow.deal, "split": breakdown(escrow.deal), "held": selectors.held_amount(escrow),
        "milestones": selectors.milestones_of(escrow), "payouts": selectors.payouts_of(escrow),
        "side": access.acting_side(request.user, escrow.deal), "is_operator": permissions.is_operator(request.user),
        "transitions": escrow.transitions.select_related("by"),
    })


def _money(request, name: str, currency: str) -> Money:
    try:
        return Money.parse(request.POST.get(name, ""), currency)
    except (ValueError, TypeError) as exc:
        raise DomainError(name, "malformed_amount", str(exc))


@login_required
@require_POST
def escrow_action(request, deal_pk: int, action: str):
    escrow = _escrow_or_404(request, deal_pk)
    if access.is_read_only(request.user, escrow.deal):  # may follow the escrow, not act in it (the services check too)
        raise PermissionDenied(access.READ_ONLY)
    post, user = request.POST, request.user
    try:
        if action in ("fund", "deliver", "accept"):
            milestone = get_object_or_404(EscrowMilestone, pk=post.get("milestone"), escrow=escrow)
            if action == "fund":
                ins = services.milestone_funding_open(milestone=milestone, by=user, rail=post.get("rail", "bank"))
                messages.success(request, f"付款参考号 / reference: {ins.reference} · {ins.amount} · {ins.pay_to}")
            elif action == "deliver":
                services.milestone_deliver(milestone=milestone, by=user, note=post.get("note", ""))
            else:
                services.milestone_accept(milestone=milestone, by=user)
        elif action == "request_release":
            try:
                date = dt.date.fromisoformat(post.get("date", ""))
            except ValueError:
                raise DomainError("date", "evidence_date_invalid", "日期格式 YYYY-MM-DD / the date is YYYY-MM-DD")
            services.escrow_release_request(escrow=escrow, by=user, number=post.get("number", ""), date=date,
                                            file=request.FILES.get("file"))
        elif action == "release":
            services.escrow_release(escrow=escrow, by=user, reason=post.get("reason", ""))
        elif action == "reject_evidence":
            services.escrow_evidence_reject(escrow=escrow, by=user, reason=post.get("reason", ""))
        elif action == "refund":
            amount = _money(request, "amount", escrow.currency) if post.get("amount") else None
            services.escrow_refund(escrow=escrow, by=user, reason=post.get("reason", ""), amount=amount)
        elif action == "dispute":
            services.escrow_dispute(escrow=escrow, by=user, reason=post.get("reason", ""))
        elif action == "resolve":
            services.escrow_resolve(escrow=escrow, by=user, reason=post.get("reason", ""),
                                    seller_amount=_money(request, "seller_amount", escrow.currency))
        else:
            raise Http404("未知操作 / unknown action")
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message)
        _refused(request, exc)
    else:
        messages.success(request, "已完成 / done")
    return redirect("settlement:escrow", deal_pk=deal_pk)


@login_required
def operator_desk(request):
    _require_operator(request)
    result = None
    if request.method == "POST":
        try:
            if request.POST.get("form") == "statement":
                upload = request.FILES.get("file")
                if upload is None:
                    raise DomainError("file", "required", "请选择对账单文件 / choose a statement file")
                result = services.bank_statement_import(file=upload, by=request.user)
                messages.success(request, f"匹配 {len(result.confirmations)} 行，未匹配 {len(result.unmatched)} 行")
            else:
                currency = request.POST.get("currency", "CNY")
                services.bank_receipt_record(reference=request.POST.get("reference", ""),
                                             amount=_money(request, "amount", currency),
                                             bank_txn_id=request.POST.get("bank_txn_id", ""), by=request.user)
                messages.success(request, "已登记 / recorded")
        except DomainError as exc:
            _refused(request, exc)
    return render(request, "settlement/operator.html", {
        "escrows": Escrow.objects.select_related("deal").order_by("-updated_at")[:200], "result": result,
        "open_instructions": selectors.open_instructions()[:200],
    })


def _csv(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def _statement_response(request, statement, filename: str):
    if request.GET.get("format") == "csv":
        return _csv(filename, ["date", "transaction", "kind", "memo", "account_type", "debit", "credit"],
                    [(x.date, x.transaction, x.kind, x.memo, x.account_type, x.debit, x.credit) for x in statement.lines])
    return render(request, "settlement/statement.html", {"statement": statement})


@login_required
def party_statement(request, org_pk: int):
    organisation = get_object_or_404(Organisation, pk=org_pk)
    if not (permissions.is_member(request.user, organisation) or permissions.is_operator(request.user)):
        raise Http404("没有这个对账单 / no such statement")
    return _statement_response(request, selectors.party_statement(organisation, request.GET.get("currency", "CNY")),
                               f"statement-org-{org_pk}.csv")


@login_required
def exchange_statement(request):
    _require_operator(request)
    return _statement_response(request, selectors.exchange_statement(request.GET.get("currency", "CNY")),
                               "statement-exchange.csv")


@login_required
def reconciliation(request):
    _require_operator(request)
    diffs = selectors.reconciliation()
    if request.GET.get("format") == "csv":
        return _csv("reconciliation.csv", ["rail", "reference", "kind", "problem", "ledger_amount", "rail_amount"],
                    [(d.rail, d.reference, d.kind, d.problem, d.ledger_amount, d.rail_amount) for d in diffs])
    return render(request, "settlement/reconciliation.html", {"differences": diffs,
                                                              "open_instructions": selectors.open_instructions()})


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe calls this; the signature (not a session) authenticates it. 200 for applied, duplicate or ignored
    events; 400 naming the problem for a forged, stale or mismatching one (nothing written)."""
    try:
        result = services.stripe_webhook_receive(payload=request.body,
                                                 signature=request.headers.get("Stripe-Signature", ""))
    except DomainError as exc:
        return JsonResponse({"detail": exc.message, "code": exc.code, "field": exc.field}, status=400 if exc.status < 500 else exc.status)
    return JsonResponse({"event": result.event_id, "outcome": result.outcome})
