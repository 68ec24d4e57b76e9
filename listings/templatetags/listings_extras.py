"""Template helpers of the trading pages: prices shown as money or 面议, and pagination links that keep filters."""
from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from listings.matching import presentation

register = template.Library()


@register.simple_tag
def price(listing) -> str:
    money = listing.price
    return _("面议") if money is None else str(money)


@register.simple_tag
def money(value) -> str:
    return "—" if value is None else str(value)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with ``changes`` applied (used by pagination)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


@register.filter
def operator(user) -> bool:
    """``{% if user|operator %}``: exchange staff (``is_staff`` or an operator membership)."""
    from marketplace.permissions import is_operator

    return is_operator(user)


# --------------------------------------------------------------------------------------------
# Words for codes the services store (state-machine actions, match explanations), in the page's language.
# Match explanations are stored as codes and numbers; ``listings.matching.presentation`` words them.
# --------------------------------------------------------------------------------------------
ACTION_LABELS = {  # past-tense log words, distinct from the buttons' labels ("通过并发布")
    "create": gettext_lazy("创建草稿"), "edit": gettext_lazy("修改内容"), "submit": gettext_lazy("送审"),
    "review_start": gettext_lazy("审核开始"), "approve": gettext_lazy("审核通过"), "reject": gettext_lazy("退回修改"),
    "withdraw": gettext_lazy("已撤回"), "suspend": gettext_lazy("已暂停"), "reinstate": gettext_lazy("已恢复"),
    "expire": gettext_lazy("到期"), "close": gettext_lazy("已关闭"), "negotiation_open": gettext_lazy("进入洽谈"),
    "negotiation_end": gettext_lazy("洽谈结束"), "negotiation_join": gettext_lazy("新洽谈方加入"), "open_licence_taken": gettext_lazy("取得开放许可"),
}

@register.filter
def action_label(action: str) -> str:
    """``{{ t.action|action_label }}``: a state-machine action (``review_start``) in words."""
    return str(ACTION_LABELS.get(action, action))


@register.filter
def part_label(name: str) -> str:
    return presentation.part_label(name)


@register.filter
def ipc_level_label(level) -> str:
    return presentation.ipc_level_label(level)


@register.filter
def price_fit_label(fit) -> str:
    """The budget check of a match explanation (``{"status": "within", ...}``) in words."""
    return presentation.price_fit_text(fit)


@register.filter
def deal_fit_label(fit) -> str:
    return presentation.deal_fit_text(fit)


@register.filter
def match_reasons(explanation) -> list[tuple[str, str]]:
    """``{% for what, words in m.explanation|match_reasons %}``: a stored explanation worded in the page's language."""
    return presentation.reasons(explanation or {})


@register.filter
def percent(share) -> str:
    """A share in [0, 1] as a whole percentage."""
    try:
        return f"{round(float(share) * 100)}%"
    except (TypeError, ValueError):
        return "—"
