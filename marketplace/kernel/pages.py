"""Page helpers every domain uses: pagination, error text, operator actions in words, safe redirects back."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _lazy



PAGE_SIZE = 20


def paginate(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)


OPERATOR_ACTION_LABELS = {
    "review_start": _lazy("开始审核"),
    "approve": _lazy("通过并发布"),
    "reject": _lazy("退回"),
    "suspend": _lazy("暂停交易"),
    "reinstate": _lazy("恢复交易"),
}


def operator_actions(machine, status: str) -> list[tuple[str, str, bool, str]]:
    """The review actions the state machine allows now: action, label, whether a reason is needed, URL-name slug."""
    return [
        (action, OPERATOR_ACTION_LABELS[action], machine[action].needs_reason, action.replace("_", "-"))
        for action in machine.allowed_actions(status)
        if action in OPERATOR_ACTION_LABELS
    ]


def redirect_back(request, fallback: str):
    target = request.POST.get("next") or ""
    return redirect(target if target.startswith("/") and not target.startswith("//") else fallback)


def raise_404():
    raise Http404
