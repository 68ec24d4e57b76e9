"""Template helpers of the trading pages: prices shown as money or 面议, and pagination links that keep filters."""
from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
# The stored explanation texts are bilingual sentences; pages show these translations instead.
# --------------------------------------------------------------------------------------------
ACTION_LABELS = {  # past-tense log words, distinct from the buttons' labels ("通过并发布")
    "create": gettext_lazy("创建草稿"), "edit": gettext_lazy("修改内容"), "submit": gettext_lazy("送审"),
    "review_start": gettext_lazy("审核开始"), "approve": gettext_lazy("审核通过"), "reject": gettext_lazy("退回修改"),
    "withdraw": gettext_lazy("已撤回"), "suspend": gettext_lazy("已暂停"), "reinstate": gettext_lazy("已恢复"),
    "expire": gettext_lazy("到期"), "close": gettext_lazy("已关闭"), "negotiation_open": gettext_lazy("进入洽谈"),
    "negotiation_end": gettext_lazy("洽谈结束"), "negotiation_join": gettext_lazy("新洽谈方加入"), "open_licence_taken": gettext_lazy("取得开放许可"),
}
PART_LABELS = {
    "text": gettext_lazy("文本相关度"), "ipc": gettext_lazy("IPC 邻近度"), "field": gettext_lazy("产业/实验区"),
    "budget": gettext_lazy("预算"), "deal_type": gettext_lazy("交易方式"),
}
IPC_LEVEL_LABELS = {
    "main_group": gettext_lazy("同一大组"), "subclass": gettext_lazy("同一小类"), "class": gettext_lazy("同一大类"), "section": gettext_lazy("同一部"),
}
PRICE_FIT_LABELS = {
    "unlisted": gettext_lazy("未挂牌，价格待议"), "negotiable": gettext_lazy("价格面议"), "no_budget": gettext_lazy("需求未设预算"),
    "currency_differs": gettext_lazy("报价币种与预算不同"), "over": gettext_lazy("报价超出预算上限"),
    "below": gettext_lazy("报价低于预算下限"), "within": gettext_lazy("报价在预算内"),
}
DEAL_FIT_LABELS = {
    "unlisted": gettext_lazy("未挂牌，交易方式可商议"), "fits": gettext_lazy("交易方式符合需求"),
    "open_licence_for_licence": gettext_lazy("开放许可，可作为普通许可"), "mismatch": gettext_lazy("交易方式不在需求范围内"),
}


@register.filter
def action_label(action: str) -> str:
    """``{{ t.action|action_label }}``: a state-machine action (``review_start``) in words."""
    return str(ACTION_LABELS.get(action, action))


@register.filter
def part_label(name: str) -> str:
    return str(PART_LABELS.get(name, name))


@register.filter
def ipc_level_label(level) -> str:
    return str(IPC_LEVEL_LABELS.get(level, level)) if level else "—"


@register.filter
def price_fit_label(fit) -> str:
    """The budget check of a match explanation (``{"status": "within", ...}``) in words."""
    fit = fit or {}
    return str(PRICE_FIT_LABELS.get(fit.get("status"), fit.get("text", "—")))


@register.filter
def deal_fit_label(fit) -> str:
    fit = fit or {}
    return str(DEAL_FIT_LABELS.get(fit.get("status"), fit.get("text", "—")))


@register.filter
def percent(share) -> str:
    """A share in [0, 1] as a whole percentage."""
    try:
        return f"{round(float(share) * 100)}%"
    except (TypeError, ValueError):
        return "—"
