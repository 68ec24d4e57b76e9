"""Pages of a user's notifications: the list, marking read, and the e-mail preferences.

Thin: parse, call ``marketplace.inbox``, render. Someone else's notification is a 404.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import inbox


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
