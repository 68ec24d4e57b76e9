"""Member pages: notifications (list, read, preferences), organisations, API tokens, and the operator console's
review queue.

Thin: parse, call ``marketplace.inbox``, render. Someone else's notification is a 404.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import api_tokens, console, inbox
from marketplace import services as org_services
from marketplace.forms import OrganisationForm
from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.forms import ReasonForm, apply_rule_errors
from marketplace.kernel.pages import error_text, redirect_back
from marketplace.kernel.statemachine import IllegalTransition
from marketplace.models import Organisation
from marketplace.services import require_operator


def _next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@login_required
def notification_list(request):
    only_unread = request.GET.get("unread") == "1"
    items = inbox.notifications_for(user=request.user)
    if only_unread:
        items = items.filter(read_at__isnull=True)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "marketplace/notification_list.html",
        {"page": page, "only_unread": only_unread, "unread": inbox.unread_count(user=request.user)},
    )


@login_required
@require_POST
def notification_read(request, pk: int):
    try:
        notification = inbox.notification_mark_read(user=request.user, notification_id=pk)
    except inbox.InboxError:
        raise Http404(_("没有这条通知")) from None
    if request.headers.get("accept", "").startswith("application/json"):
        return JsonResponse({"id": notification.pk, "unread": inbox.unread_count(user=request.user)})
    if request.POST.get("follow") and notification.url:
        return redirect(notification.url)
    return redirect(_next(request, "notifications:list"))


@login_required
@require_POST
def notification_read_all(request):
    count = inbox.notifications_mark_all_read(user=request.user)
    messages.success(request, _("已将 %(n)d 条通知标为已读") % {"n": count})
    return redirect(_next(request, "notifications:list"))


@login_required
def notification_preferences(request):
    choices = inbox.verb_choices(user=request.user)
    if request.method == "POST":
        try:
            inbox.notification_preference_update(
                user=request.user,
                email_enabled=request.POST.get("email_enabled") == "on",
                muted_verbs=request.POST.getlist("muted_verbs"),
            )
        except inbox.InboxError as exc:
            messages.error(request, f"{exc.field}: {exc.message}")
        else:
            messages.success(request, _("通知偏好已保存"))
            return redirect("notifications:preferences")
    preference = inbox.preference_for(user=request.user)
    return render(
        request,
        "marketplace/notification_preferences.html",
        {"preference": preference, "choices": choices, "muted": set(preference.muted_verbs or [])},
    )


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
            return redirect("marketplace:my-organisations")
    memberships = request.user.memberships.select_related("organisation").order_by("organisation__name")
    return render(request, "marketplace/my_organisations.html", {"form": form, "memberships": memberships})


@login_required
def review_queue(request):
    require_operator(request.user)
    return render(request, "marketplace/review_queue.html", {"queue": console.review_queue(), "reason_form": ReasonForm()})


REVIEW_ORGANISATION_ACTIONS = {
    "verify": org_services.organisation_verify,
    "reject": org_services.organisation_verification_reject,
    "revoke": org_services.organisation_verification_revoke,
}


@login_required
@require_POST
def review_organisation(request, pk: int, action: str):
    require_operator(request.user)
    organisation = get_object_or_404(Organisation, pk=pk)
    service = REVIEW_ORGANISATION_ACTIONS[action]
    try:
        service(organisation=organisation, by=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, f"{organisation}：{error_text(exc)}")
    else:
        messages.success(request, f"{organisation}：{_('操作成功')}")
    return redirect_back(request, "/review/")


@login_required
def api_token_list(request):
    """/me/tokens/: the member's tokens; making one shows its key once, on the answer to that POST only."""
    new_key = ""
    name_error = ""
    if request.method == "POST":
        try:
            _token, new_key = api_tokens.api_token_create(user=request.user, name=request.POST.get("name", ""))
        except ValidationError as exc:
            name_error = error_text(exc)
    return render(request, "marketplace/api_tokens.html", {
        "tokens": api_tokens.api_tokens_for(user=request.user),
        "legacy": api_tokens.legacy_token_for(user=request.user),
        "new_key": new_key, "name_error": name_error, "name": request.POST.get("name", "") if name_error else "",
    }, status=400 if name_error else 200)


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    try:
        token = api_tokens.api_token_revoke(user=request.user, token_id=pk)
    except NotPermitted:
        raise Http404(_("没有这个令牌")) from None
    messages.success(request, _("令牌“%(name)s”已撤销，使用它的请求将被拒绝") % {"name": token.name})
    return redirect("marketplace:api-tokens")


@login_required
@require_POST
def api_token_revoke_legacy(request):
    if api_tokens.legacy_token_revoke(user=request.user):
        messages.success(request, _("运营人员签发的旧令牌已撤销"))
    return redirect("marketplace:api-tokens")
