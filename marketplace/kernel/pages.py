"""Page helpers every domain uses: pagination, error text, operator actions in words, safe redirects back."""
from __future__ import annotations

from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _lazy

from marketplace.kernel.statemachine import StateMachine

PAGE_SIZE = 20


def paginate(request: HttpRequest, items: Any) -> Page:
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


def operator_actions(machine: StateMachine, status: str) -> list[tuple[str, str | Promise, bool, str]]:
    """The review actions the state machine allows now: action, label, whether a reason is needed, URL-name slug."""
    return [
        (action, OPERATOR_ACTION_LABELS[action], machine[action].needs_reason, action.replace("_", "-"))
        for action in machine.allowed_actions(status)
        if action in OPERATOR_ACTION_LABELS
    ]


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or ""
    return redirect(target if target.startswith("/") and not target.startswith("//") else fallback)


def raise_404() -> NoReturn:
    raise Http404
