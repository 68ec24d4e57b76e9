"""Pages of the exchange: listing and demand boards, details, "my" pages, create/edit/submit/withdraw
with uploads, organisation registration, and the operator review queue.

Views parse input, call one service or selector, and render. Objects another organisation owns are
looked up through visibility-aware selectors, so they are a 404; forbidden actions on visible objects
are a 403 (``NotPermitted``).
"""
from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from listings.catalogue.selectors import filter_choices
from listings.trading import permissions as listing_permissions
from listings.trading import selectors
from listings.trading.forms import AttachmentForm, ListingForm
from listings.trading.models import AttachmentKind, Listing, ListingAttachment
from listings.trading.services import attachments, editing, open_licence
from listings.trading.services import lifecycle as listing_services
from marketplace import permissions
from marketplace.kernel.forms import ReasonForm, apply_rule_errors
from marketplace.kernel.pages import error_text, operator_actions, paginate, raise_404, redirect_back
from marketplace.kernel.statemachine import IllegalTransition
from marketplace.kernel.uploads import protected_download
from marketplace.models import Organisation
from marketplace.services import require_operator


def _listing_or_404(request, pk) -> Listing:
    try:
        return selectors.listing_get(pk=pk, user=request.user)
    except Listing.DoesNotExist:
        raise Http404(_("没有这个挂牌")) from None


# --------------------------------------------------------------------------------------------
# Listings
# --------------------------------------------------------------------------------------------
def listing_board(request):
    filters = selectors.ListingFilters.from_query(request.GET)
    page = paginate(request, selectors.listing_board(filters=filters))
    return render(request, "listings/listing_board.html", {
        "page": page, "filters": filters, "params": request.GET, **filter_choices(),
        "sorts": [("", _("最新发布")), ("oldest", _("最早发布")), ("price_asc", _("价格从低到高")),
                  ("price_desc", _("价格从高到低")), ("title", _("按标题"))],
    })


def listing_detail(request, pk: int):
    listing = _listing_or_404(request, pk)
    can_manage = listing_permissions.can_manage_listing(request.user, listing)
    return render(request, "listings/listing_detail.html", {
        "listing": listing,
        "patents": listing.patents.prefetch_related("ipc_codes", "zones", "industries"),
        "attachments": selectors.attachments_visible_to(request.user, listing),
        "can_manage": can_manage,
        "can_edit": listing_permissions.can_edit_listing(request.user, listing),
        "is_operator": permissions.is_operator(request.user),
        "actions": listing_services.LISTING_MACHINE.allowed_actions(listing.status),
        "transitions": listing.transitions.select_related("by") if can_manage or permissions.is_operator(request.user) else [],
        "upload_form": AttachmentForm(),
        "reason_form": ReasonForm(),
        "take_as": selectors.open_licence_takers(request.user, listing),
        "operator_actions": operator_actions(listing_services.LISTING_MACHINE, listing.status),
    })


@login_required
def listing_create(request):
    organisations = permissions.organisations_for(request.user, listing_permissions.LISTING_ROLES)
    if not organisations.exists():
        messages.info(request, _("请先登记您所代表的机构（权利人或经纪人角色）"))
        return redirect("marketplace:my-organisations")
    # ?patent=CN… comes from the "list this patent" link on a patent page
    initial = {"patent_numbers": request.GET.get("patent", "").strip()[:40], "submission_token": uuid.uuid4()}
    form = ListingForm(request.POST or None, organisations=organisations, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            listing = editing.listing_create(
                organisation=form.cleaned_data["organisation"], by=request.user, **form.creation_kwargs()
            )
        except ValidationError as exc:
            apply_rule_errors(form, exc, ListingForm.FIELD_MAP)
        else:
            messages.success(request, _("草稿已保存，可上传图片、文件或授权书后提交审核"))
            for warning in selectors.listing_duplicate_warnings(listing):
                messages.warning(request, warning)
            return redirect(listing)
    return render(request, "listings/listing_form.html",
                  {"form": form, "listing": None, "own_patents": selectors.own_patents(organisations)})


@login_required
def listing_edit(request, pk: int):
    listing = _listing_or_404(request, pk)
    if not listing_permissions.can_manage_listing(request.user, listing):
        raise PermissionDenied(_("您无权修改此挂牌"))
    if not listing.is_editable:
        messages.error(request, _("只有草稿或退回修改的挂牌可以编辑"))
        return redirect(listing)
    organisations = Organisation.objects.filter(pk=listing.organisation_id)
    form = ListingForm(request.POST or None, organisations=organisations, initial=ListingForm.initial_for(listing),
                       listing=listing)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        try:
            editing.listing_update(listing=listing, by=request.user, **kwargs)
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
    if action == "withdraw" and not request.POST.get("confirm"):
        # withdrawing is final: the first press only asks, the second (with confirm) withdraws
        if not listing_permissions.can_manage_listing(request.user, listing):
            raise PermissionDenied(_("您无权撤回此挂牌"))
        return render(request, "listings/confirm_withdraw.html", {
            "object": listing, "kind": _("挂牌"), "reason": reason,
            "action_url": request.path, "consequence": _("撤回后挂牌立即从挂牌大厅撤下，意向方不能再询价；撤回不可恢复，如需再次挂牌须重新创建并提交审核。"),
        })
    try:
        service(listing=listing, by=request.user, reason=reason)
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, {"submit": _("已提交审核"), "withdraw": _("已撤回")}[action])
        if action == "submit":
            for warning in selectors.listing_duplicate_warnings(listing):
                messages.warning(request, warning)
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
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("文件已上传"))
    return redirect(listing)


def listing_file(request, pk: int, attachment_id: int):
    """Files are served through this view, never straight from MEDIA: authorisations stay private."""
    listing = _listing_or_404(request, pk)
    attachment = get_object_or_404(ListingAttachment, pk=attachment_id, listing=listing)
    if not listing_permissions.can_view_attachment(request.user, attachment):
        raise Http404
    return protected_download(
        attachment.file, content_type=attachment.content_type, original_name=attachment.original_name,
        inline=attachment.is_image,
    )


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
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已取得开放许可，权利人已收到通知"))
    return redirect(listing)


@login_required
def my_listings(request):
    return render(request, "listings/my_listings.html", {
        "page": paginate(request, selectors.my_listings(user=request.user)),
        "can_create": permissions.organisations_for(request.user, listing_permissions.LISTING_ROLES).exists(),
    })


# --------------------------------------------------------------------------------------------
# Demands
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Operator review queue
# --------------------------------------------------------------------------------------------


REVIEW_LISTING_ACTIONS = {
    "review_start": listing_services.listing_review_start,
    "approve": listing_services.listing_approve,
    "reject": listing_services.listing_reject,
    "suspend": listing_services.listing_suspend,
    "reinstate": listing_services.listing_reinstate,
}


@login_required
@require_POST
def review_listing(request, pk: int, action: str):
    require_operator(request.user)
    listing = get_object_or_404(Listing, pk=pk)
    service = REVIEW_LISTING_ACTIONS.get(action) or raise_404()
    try:
        service(listing=listing, by=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, f"{listing.title}：{error_text(exc)}")
    else:
        messages.success(request, f"{listing.title}：{_('操作成功')}")
    return redirect_back(request, "/review/")


REVIEW_AUTHORISATION_ACTIONS = {
    "accept": lambda attachment, by, text: attachments.authorisation_accept(attachment=attachment, by=by, note=text),
    "reject": lambda attachment, by, text: attachments.authorisation_reject(attachment=attachment, by=by, reason=text),
}


@login_required
@require_POST
def review_authorisation(request, attachment_id: int, action: str):
    require_operator(request.user)
    attachment = get_object_or_404(ListingAttachment, pk=attachment_id, kind=AttachmentKind.AUTHORISATION)
    text = request.POST.get("reason", "")
    try:
        REVIEW_AUTHORISATION_ACTIONS[action](attachment, request.user, text)
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("授权书核验结果已记录"))
    return redirect_back(request, "/review/")


