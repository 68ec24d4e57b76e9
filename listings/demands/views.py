"""Demand pages: the board, detail, posting and editing, the owner's and the operator's actions."""
from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from listings.catalogue.models import DealType
from listings.catalogue.selectors import filter_choices
from listings.demands import permissions as demand_permissions
from listings.demands import selectors
from listings.demands import services as demand_services
from listings.demands.forms import DemandForm
from listings.demands.models import Demand, DemandStatus
from marketplace import permissions
from marketplace.kernel.forms import ReasonForm, apply_rule_errors
from marketplace.kernel.pages import error_text, operator_actions, paginate, raise_404, redirect_back
from marketplace.kernel.statemachine import IllegalTransition
from marketplace.models import Organisation
from marketplace.services import require_operator


def demand_board(request):
    filters = selectors.DemandFilters.from_query(request.GET)
    demands = selectors.demand_board(filters=filters)
    rows = [(d, demand_permissions.can_see_demand_organisation(request.user, d)) for d in demands]
    return render(request, "listings/demand_board.html", {
        "page": paginate(request, rows), "filters": filters, "params": request.GET, **filter_choices(),
        "sorts": [("", _("最新发布")), ("deadline", _("截止日期最近")), ("budget_desc", _("预算从高到低")),
                  ("title", _("按标题"))],
    })


def demand_detail(request, pk: int):
    demand = demand_or_404(request, pk)
    can_manage = demand_permissions.can_manage_demand(request.user, demand)
    is_operator = permissions.is_operator(request.user)
    return render(request, "listings/demand_detail.html", {
        "demand": demand,
        "show_organisation": demand_permissions.can_see_demand_organisation(request.user, demand),
        "can_manage": can_manage,
        "is_operator": is_operator,
        "actions": demand_services.DEMAND_MACHINE.allowed_actions(demand.status),
        "transitions": demand.transitions.select_related("by") if can_manage or is_operator else [],
        "reason_form": ReasonForm(),
        "deal_type_labels": [DealType(t).label for t in demand.deal_types if t in DealType.values],
        "operator_actions": operator_actions(demand_services.DEMAND_MACHINE, demand.status),
    })


@login_required
def demand_create(request):
    organisations = permissions.organisations_for(request.user, demand_permissions.DEMAND_ROLES)
    if not organisations.exists():
        messages.info(request, _("请先登记您所代表的机构（需求方或经纪人角色）"))
        return redirect("marketplace:my-organisations")
    form = DemandForm(request.POST or None, organisations=organisations, initial={"submission_token": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        try:
            demand = demand_services.demand_create(
                organisation=form.cleaned_data["organisation"], by=request.user, **form.creation_kwargs()
            )
        except ValidationError as exc:
            apply_rule_errors(form, exc, DemandForm.FIELD_MAP)
        else:
            messages.success(request, _("草稿已保存，提交后由运营人员审核"))
            return redirect(demand)
    return render(request, "listings/demand_form.html", {"form": form, "demand": None})


@login_required
def demand_edit(request, pk: int):
    demand = demand_or_404(request, pk)
    if not demand_permissions.can_manage_demand(request.user, demand):
        raise PermissionDenied(_("您无权修改此需求"))
    if not demand.is_editable:
        messages.error(request, _("此状态下的需求不能编辑"))
        return redirect(demand)
    organisations = Organisation.objects.filter(pk=demand.organisation_id)
    form = DemandForm(request.POST or None, organisations=organisations, initial=DemandForm.initial_for(demand))
    if request.method == "POST" and form.is_valid():
        was_published = demand.status == DemandStatus.PUBLISHED
        try:
            updated = demand_services.demand_update(demand=demand, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            apply_rule_errors(form, exc, DemandForm.FIELD_MAP)
        except IllegalTransition as exc:
            messages.error(request, str(exc))
            return redirect(demand)
        else:
            messages.success(request, _("已保存"))
            if was_published and updated.status != DemandStatus.PUBLISHED:
                messages.info(request, _("内容已修改，需求已撤下并重新提交审核；预算和截止日期的修改无需审核"))
            return redirect(demand)
    return render(request, "listings/demand_form.html", {"form": form, "demand": demand})


OWNER_DEMAND_ACTIONS = {
    "submit": demand_services.demand_submit,
    "withdraw": demand_services.demand_withdraw,
    "close": demand_services.demand_close,
}


@login_required
@require_POST
def demand_action(request, pk: int, action: str):
    demand = demand_or_404(request, pk)
    service = OWNER_DEMAND_ACTIONS.get(action)
    if service is None:
        raise Http404
    if action == "withdraw" and not request.POST.get("confirm"):
        # withdrawing is final: the first press only asks, the second (with confirm) withdraws
        if not demand_permissions.can_manage_demand(request.user, demand):
            raise PermissionDenied(_("您无权撤回此需求"))
        return render(request, "listings/confirm_withdraw.html", {
            "object": demand, "kind": _("需求"), "reason": request.POST.get("reason", ""),
            "action_url": request.path, "consequence": _("撤回后需求立即从需求大厅撤下，不再匹配专利；撤回不可恢复，如需再次发布须重新创建并提交审核。"),
        })
    try:
        service(demand=demand, by=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("操作成功"))
    return redirect(demand)


@login_required
def my_demands(request):
    return render(request, "listings/my_demands.html", {
        "page": paginate(request, selectors.my_demands(user=request.user)),
        "can_create": permissions.organisations_for(request.user, demand_permissions.DEMAND_ROLES).exists(),
    })


REVIEW_DEMAND_ACTIONS = {
    "review_start": demand_services.demand_review_start,
    "approve": demand_services.demand_approve,
    "reject": demand_services.demand_reject,
    "suspend": demand_services.demand_suspend,
    "reinstate": demand_services.demand_reinstate,
}


@login_required
@require_POST
def review_demand(request, pk: int, action: str):
    require_operator(request.user)
    demand = get_object_or_404(Demand, pk=pk)
    service = REVIEW_DEMAND_ACTIONS.get(action) or raise_404()
    try:
        service(demand=demand, by=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, f"{demand.title}：{error_text(exc)}")
    else:
        messages.success(request, f"{demand.title}：{_('操作成功')}")
    return redirect_back(request, "/review/")


def demand_or_404(request, pk) -> Demand:
    try:
        return selectors.demand_get(pk=pk, user=request.user)
    except Demand.DoesNotExist:
        raise Http404(_("没有这个技术需求")) from None
