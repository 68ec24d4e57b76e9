"""Pages of the exchange: listing and demand boards, details, "my" pages, create/edit/submit/withdraw
with uploads, organisation registration, and the operator review queue.

Views parse input, call one service or selector, and render. Objects another organisation owns are
looked up through visibility-aware selectors, so they are a 404; forbidden actions on visible objects
are a 403 (``NotPermitted``).
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from listings.trading import selectors
from listings.trading.forms import (
    AttachmentForm,
    DemandForm,
    ListingForm,
    OrganisationForm,
    ReasonForm,
    apply_rule_errors,
)
from listings.catalogue.models import Industry, Zone
from listings.demands.models import Demand
from listings.catalogue.models import LicenceKind
from listings.trading.models import AttachmentKind, DealType, Listing, ListingAttachment
from listings.demands import services as demand_services
from listings.trading.services import lifecycle as listing_services
from marketplace.kernel.statemachine import IllegalTransition
from marketplace import permissions
from marketplace import services as org_services
from marketplace.models import Organisation
from listings.trading.services import open_licence
from listings.trading.services import attachments
from listings.trading import permissions as listing_permissions
from listings.demands import permissions as demand_permissions

PAGE_SIZE = 20


def _page(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)


def _listing_or_404(request, pk) -> Listing:
    try:
        return selectors.listing_get(pk=pk, user=request.user)
    except Listing.DoesNotExist:
        raise Http404(_("没有这个挂牌")) from None


def _demand_or_404(request, pk) -> Demand:
    try:
        return selectors.demand_get(pk=pk, user=request.user)
    except Demand.DoesNotExist:
        raise Http404(_("没有这个技术需求")) from None


def _require_operator(request) -> None:
    if not permissions.is_operator(request.user):
        raise PermissionDenied(_("仅运营人员可以审核"))


OPERATOR_ACTION_LABELS = {
    "review_start": _lazy("开始审核"),
    "approve": _lazy("通过并发布"),
    "reject": _lazy("退回"),
    "suspend": _lazy("暂停交易"),
    "reinstate": _lazy("恢复交易"),
}


def _operator_actions(machine, status: str) -> list[tuple[str, str, bool]]:
    """The review actions the state machine allows now, with their labels and whether a reason is needed."""
    return [
        (action, OPERATOR_ACTION_LABELS[action], machine[action].needs_reason)
        for action in machine.allowed_actions(status)
        if action in OPERATOR_ACTION_LABELS
    ]


def _filter_choices() -> dict:
    return {
        "deal_types": DealType.choices,
        "licence_kinds": LicenceKind.choices,
        "industries": Industry.objects.filter(scheme=Industry.Scheme.ZONE) or Industry.objects.all()[:50],
        "zones": Zone.objects.all(),
    }


# --------------------------------------------------------------------------------------------
# Listings
# --------------------------------------------------------------------------------------------
def listing_board(request):
    filters = selectors.ListingFilters.from_query(request.GET)
    page = _page(request, selectors.listing_board(filters=filters))
    return render(request, "listings/listing_board.html", {
        "page": page, "filters": filters, "params": request.GET, **_filter_choices(),
    })


def listing_detail(request, pk: int):
    listing = _listing_or_404(request, pk)
    can_manage = listing_permissions.can_manage_listing(request.user, listing)
    attachments = [
        a for a in listing.attachments.select_related("patent")
        if a.is_public or can_manage or permissions.is_operator(request.user)
    ]
    take_as = []
    if listing.deal_type == DealType.OPEN_LICENCE and listing.status == "published":
        take_as = [o for o in permissions.organisations_for(request.user) if o.pk != listing.organisation_id]
    return render(request, "listings/listing_detail.html", {
        "listing": listing,
        "patents": listing.patents.prefetch_related("ipc_codes", "zones", "industries"),
        "attachments": attachments,
        "can_manage": can_manage,
        "can_edit": listing_permissions.can_edit_listing(request.user, listing),
        "is_operator": permissions.is_operator(request.user),
        "actions": listing_services.LISTING_MACHINE.allowed_actions(listing.status),
        "transitions": listing.transitions.select_related("by") if can_manage or permissions.is_operator(request.user) else [],
        "upload_form": AttachmentForm(),
        "reason_form": ReasonForm(),
        "take_as": take_as,
        "operator_actions": _operator_actions(listing_services.LISTING_MACHINE, listing.status),
    })


@login_required
def listing_create(request):
    organisations = permissions.organisations_for(request.user, listing_permissions.LISTING_ROLES)
    if not organisations.exists():
        messages.info(request, _("请先登记您所代表的机构（权利人或经纪人角色）"))
        return redirect("listings:my-organisations")
    # ?patent=CN… comes from the "list this patent" link on a patent page
    initial = {"patent_numbers": request.GET.get("patent", "").strip()[:40]}
    form = ListingForm(request.POST or None, organisations=organisations, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            listing = listing_services.listing_create(
                organisation=form.cleaned_data["organisation"], by=request.user, **form.service_kwargs()
            )
        except ValidationError as exc:
            apply_rule_errors(form, exc, ListingForm.FIELD_MAP)
        else:
            messages.success(request, _("草稿已保存，可上传图片、文件或授权书后提交审核"))
            return redirect(listing)
    return render(request, "listings/listing_form.html", {"form": form, "listing": None})


@login_required
def listing_edit(request, pk: int):
    listing = _listing_or_404(request, pk)
    if not listing_permissions.can_manage_listing(request.user, listing):
        raise PermissionDenied(_("您无权修改此挂牌"))
    if not listing.is_editable:
        messages.error(request, _("只有草稿或退回修改的挂牌可以编辑"))
        return redirect(listing)
    organisations = Organisation.objects.filter(pk=listing.organisation_id)
    form = ListingForm(request.POST or None, organisations=organisations, initial=ListingForm.initial_for(listing))
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        try:
            listing_services.listing_update(listing=listing, by=request.user, **kwargs)
        except ValidationError as exc:
            apply_rule_errors(form, exc, ListingForm.FIELD_MAP)
        except IllegalTransition as exc:
            messages.error(request, str(exc))
            return redirect(listing)
        else:
            messages.success(request, _("已保存"))
            return redirect(listing)
    return render(request, "listings/listing_form.html", {"form": form, "listing": listing})


OWNER_LISTING_ACTIONS = {
    "submit": listing_services.listing_submit,
    "withdraw": listing_services.listing_withdraw,
}


@login_required
@require_POST
def listing_action(request, pk: int, action: str):
    listing = _listing_or_404(request, pk)
    service = OWNER_LISTING_ACTIONS.get(action)
    if service is None:
        raise Http404
    form = ReasonForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        service(listing=listing, by=request.user, reason=reason)
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, {"submit": _("已提交审核"), "withdraw": _("已撤回")}[action])
    return redirect(listing)


@login_required
@require_POST
def listing_upload(request, pk: int):
    listing = _listing_or_404(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(listing)
    try:
        attachments.listing_attachment_add(
            listing=listing, by=request.user, upload=form.cleaned_data["file"], kind=form.cleaned_data["kind"]
        )
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("文件已上传"))
    return redirect(listing)


def listing_file(request, pk: int, attachment_id: int):
    """Files are served through this view, never straight from MEDIA: authorisations stay private."""
    listing = _listing_or_404(request, pk)
    attachment = get_object_or_404(ListingAttachment, pk=attachment_id, listing=listing)
    if not (attachment.is_public or listing_permissions.can_manage_listing(request.user, listing)
            or permissions.is_operator(request.user)):
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    disposition = "inline" if attachment.kind == AttachmentKind.IMAGE else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{_quote(attachment.original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@login_required
@require_POST
def listing_file_delete(request, pk: int, attachment_id: int):
    listing = _listing_or_404(request, pk)
    attachment = get_object_or_404(ListingAttachment, pk=attachment_id, listing=listing)
    try:
        attachments.listing_attachment_remove(attachment=attachment, by=request.user)
    except IllegalTransition as exc:
        messages.error(request, str(exc))
    return redirect(listing)


@login_required
@require_POST
def open_licence_take(request, pk: int):
    listing = _listing_or_404(request, pk)
    organisation = get_object_or_404(permissions.organisations_for(request.user), pk=request.POST.get("organisation"))
    try:
        open_licence.open_licence_take(listing=listing, organisation=organisation, by=request.user)
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("已取得开放许可，权利人已收到通知"))
    return redirect(listing)


@login_required
def my_listings(request):
    return render(request, "listings/my_listings.html", {
        "page": _page(request, selectors.my_listings(user=request.user)),
        "can_create": permissions.organisations_for(request.user, listing_permissions.LISTING_ROLES).exists(),
    })


# --------------------------------------------------------------------------------------------
# Demands
# --------------------------------------------------------------------------------------------
def demand_board(request):
    filters = selectors.DemandFilters.from_query(request.GET)
    demands = selectors.demand_board(filters=filters)
    rows = [(d, demand_permissions.can_see_demand_organisation(request.user, d)) for d in demands]
    return render(request, "listings/demand_board.html", {
        "page": _page(request, rows), "filters": filters, "params": request.GET, **_filter_choices(),
    })


def demand_detail(request, pk: int):
    demand = _demand_or_404(request, pk)
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
        "operator_actions": _operator_actions(demand_services.DEMAND_MACHINE, demand.status),
    })


@login_required
def demand_create(request):
    organisations = permissions.organisations_for(request.user, demand_permissions.DEMAND_ROLES)
    if not organisations.exists():
        messages.info(request, _("请先登记您所代表的机构（需求方或经纪人角色）"))
        return redirect("listings:my-organisations")
    form = DemandForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            demand = demand_services.demand_create(
                organisation=form.cleaned_data["organisation"], by=request.user, **form.service_kwargs()
            )
        except ValidationError as exc:
            apply_rule_errors(form, exc, DemandForm.FIELD_MAP)
        else:
            messages.success(request, _("草稿已保存，提交后由运营人员审核"))
            return redirect(demand)
    return render(request, "listings/demand_form.html", {"form": form, "demand": None})


@login_required
def demand_edit(request, pk: int):
    demand = _demand_or_404(request, pk)
    if not demand_permissions.can_manage_demand(request.user, demand):
        raise PermissionDenied(_("您无权修改此需求"))
    if not demand.is_editable:
        messages.error(request, _("此状态下的需求不能编辑"))
        return redirect(demand)
    organisations = Organisation.objects.filter(pk=demand.organisation_id)
    form = DemandForm(request.POST or None, organisations=organisations, initial=DemandForm.initial_for(demand))
    if request.method == "POST" and form.is_valid():
        try:
            demand_services.demand_update(demand=demand, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            apply_rule_errors(form, exc, DemandForm.FIELD_MAP)
        except IllegalTransition as exc:
            messages.error(request, str(exc))
            return redirect(demand)
        else:
            messages.success(request, _("已保存"))
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
    demand = _demand_or_404(request, pk)
    service = OWNER_DEMAND_ACTIONS.get(action)
    if service is None:
        raise Http404
    try:
        service(demand=demand, by=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("操作成功"))
    return redirect(demand)


@login_required
def my_demands(request):
    return render(request, "listings/my_demands.html", {
        "page": _page(request, selectors.my_demands(user=request.user)),
        "can_create": permissions.organisations_for(request.user, demand_permissions.DEMAND_ROLES).exists(),
    })


# --------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------
@login_required
def my_organisations(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org_services.organisation_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_rule_errors(form, exc, {})
        else:
            messages.success(request, _("机构已登记，等待运营人员认证"))
            return redirect("listings:my-organisations")
    memberships = request.user.memberships.select_related("organisation").order_by("organisation__name")
    return render(request, "listings/my_organisations.html", {"form": form, "memberships": memberships})


# --------------------------------------------------------------------------------------------
# Operator review queue
# --------------------------------------------------------------------------------------------
@login_required
def review_queue(request):
    _require_operator(request)
    return render(request, "listings/review_queue.html", {"queue": selectors.review_queue(), "reason_form": ReasonForm()})


REVIEW_LISTING_ACTIONS = {
    "review_start": listing_services.listing_review_start,
    "approve": listing_services.listing_approve,
    "reject": listing_services.listing_reject,
    "suspend": listing_services.listing_suspend,
    "reinstate": listing_services.listing_reinstate,
}
REVIEW_DEMAND_ACTIONS = {
    "review_start": demand_services.demand_review_start,
    "approve": demand_services.demand_approve,
    "reject": demand_services.demand_reject,
    "suspend": demand_services.demand_suspend,
    "reinstate": demand_services.demand_reinstate,
}


def _back(request, fallback: str):
    target = request.POST.get("next") or ""
    return redirect(target if target.startswith("/") and not target.startswith("//") else fallback)


@login_required
@require_POST
def review_listing(request, pk: int, action: str):
    _require_operator(request)
    listing = get_object_or_404(Listing, pk=pk)
    service = REVIEW_LISTING_ACTIONS.get(action) or _raise404()
    try:
        service(listing=listing, by=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, f"{listing.title}：{_error_text(exc)}")
    else:
        messages.success(request, f"{listing.title}：{_('操作成功')}")
    return _back(request, "/review/")


@login_required
@require_POST
def review_demand(request, pk: int, action: str):
    _require_operator(request)
    demand = get_object_or_404(Demand, pk=pk)
    service = REVIEW_DEMAND_ACTIONS.get(action) or _raise404()
    try:
        service(demand=demand, by=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, f"{demand.title}：{_error_text(exc)}")
    else:
        messages.success(request, f"{demand.title}：{_('操作成功')}")
    return _back(request, "/review/")


@login_required
@require_POST
def review_authorisation(request, attachment_id: int, action: str):
    _require_operator(request)
    attachment = get_object_or_404(ListingAttachment, pk=attachment_id, kind=AttachmentKind.AUTHORISATION)
    try:
        if action == "accept":
            attachments.authorisation_accept(attachment=attachment, by=request.user, note=request.POST.get("reason", ""))
        elif action == "reject":
            attachments.authorisation_reject(attachment=attachment, by=request.user, reason=request.POST.get("reason", ""))
        else:
            raise Http404
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("授权书核验结果已记录"))
    return _back(request, "/review/")


@login_required
@require_POST
def review_organisation(request, pk: int, action: str):
    _require_operator(request)
    organisation = get_object_or_404(Organisation, pk=pk)
    services = {
        "verify": org_services.organisation_verify,
        "reject": org_services.organisation_verification_reject,
        "revoke": org_services.organisation_verification_revoke,
    }
    service = services.get(action) or _raise404()
    try:
        service(organisation=organisation, by=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, f"{organisation}：{_error_text(exc)}")
    else:
        messages.success(request, f"{organisation}：{_('操作成功')}")
    return _back(request, "/review/")


def _raise404():
    raise Http404
