"""The words of a match explanation: stored explanations hold codes and numbers, worded here when shown."""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.kernel.money import Money
from marketplace.texts import Joined, text

PART_LABELS = {
    "text": _("文本相关度"),
    "semantic": _("语义相似度"),
    "ipc": _("IPC 邻近度"),
    "field": _("产业/实验区"),
    "budget": _("预算"),
    "deal_type": _("交易方式"),
}
IPC_LEVEL_LABELS = {
    "main_group": _("同一大组"), "subclass": _("同一小类"), "class": _("同一大类"), "section": _("同一部"),
}
IPC_SOURCE_LABELS = {"declared": _("需求填写的分类"), "predicted": _("按需求文字预测的分类")}
PRICE_FIT_LABELS = {
    "unlisted": _("未挂牌，价格待议"), "negotiable": _("价格面议"), "no_budget": _("需求未设预算"),
    "currency_differs": _("报价币种与预算不同"), "over": _("报价超出预算上限"),
    "below": _("报价低于预算下限"), "within": _("报价在预算内"),
}
DEAL_FIT_LABELS = {
    "unlisted": _("未挂牌，交易方式可商议"), "fits": _("交易方式符合需求"),
    "open_licence_for_licence": _("开放许可，可作为普通许可"), "mismatch": _("交易方式不在需求范围内"),
    "pending_assignable": _("审中申请，可转让申请权"),
}
DEAL_TYPE_LABELS = {"assignment": _("转让"), "licence": _("许可"), "open_licence": _("开放许可")}


def part_label(name: str) -> str:
    return str(PART_LABELS.get(name, name))


def ipc_level_label(level: str | None) -> str:
    return str(IPC_LEVEL_LABELS.get(level, level)) if level else "—"


def _money(value: Any) -> str:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        try:
            return str(Money(int(value[0]), str(value[1])))
        except (TypeError, ValueError):
            return ""
    return ""


def price_fit_text(fit: dict | None) -> str:
    """``{"status": "over", "ratio": 1.2, "price": [fen, "CNY"], "bound": [...]}`` in words."""
    fit = fit or {}
    label = str(PRICE_FIT_LABELS.get(fit.get("status", ""), "—"))
    price, bound = _money(fit.get("price")), _money(fit.get("bound"))
    details = []
    if price:
        details.append(gettext("报价 %(price)s") % {"price": price})
    if bound:
        details.append(gettext("预算 %(bound)s") % {"bound": bound})
    if fit.get("status") == "over" and fit.get("ratio"):
        details.append(gettext("超出 %(over)d%%") % {"over": round((float(fit["ratio"]) - 1) * 100)})
    return f"{label}（{'，'.join(details)}）" if details else label


def deal_fit_text(fit: dict | None) -> str:
    fit = fit or {}
    label = str(DEAL_FIT_LABELS.get(fit.get("status", ""), "—"))
    deal_type = fit.get("deal_type")
    if deal_type and fit.get("status") in ("fits", "mismatch"):
        return f"{label}（{DEAL_TYPE_LABELS.get(deal_type, deal_type)}）"
    return label


def ipc_text(explanation: dict) -> str:
    level = explanation.get("ipc_level")
    pair = explanation.get("ipc_pair")
    source = explanation.get("ipc_source")
    text = ipc_level_label(level)
    if pair and all(pair):
        text += f"（{' ↔ '.join(pair)}）"
    if source:
        text += f"，{IPC_SOURCE_LABELS.get(source, source)}"
    return text


def semantic_text(explanation: dict) -> str:
    cosine = explanation.get("semantic")
    if cosine is None:
        return gettext("未计算（尚未训练匹配模型）")
    return gettext("潜在语义余弦 %(cosine).2f") % {"cosine": float(cosine)}


def reasons(explanation: dict) -> list[tuple[str, str]]:
    """(what, in words) for each aspect of a match, in the active language."""
    explanation = explanation or {}
    out: list[tuple[str, str]] = []
    terms = explanation.get("matched_terms") or []
    if terms:
        out.append((gettext("命中词"), "、".join(terms)))
    out.append((gettext("语义"), semantic_text(explanation)))
    out.append((gettext("IPC 层级"), ipc_text(explanation)))
    out.append((gettext("价格"), price_fit_text(explanation.get("price_fit"))))
    out.append((gettext("交易方式"), deal_fit_text(explanation.get("deal_type_fit"))))
    if explanation.get("pending"):
        out.append((gettext("法律状态"), gettext("审中（专利申请，尚未授权）")))
    return out


def parts(explanation: dict) -> list[dict]:
    """The stored parts with their label in the active language."""
    return [{**part, "label": part_label(part.get("name", ""))} for part in (explanation or {}).get("parts", [])]


def share_summary(explanation: dict, *, top: int = 2) -> str:
    """The largest parts as "文本相关度 45%, IPC 邻近度 30%" in the active language."""
    ordered = sorted((explanation or {}).get("parts", []), key=lambda p: -float(p.get("share", 0)))[:top]
    return ", ".join(f"{part_label(p.get('name', ''))} {float(p.get('share', 0)):.0%}" for p in ordered)


def share_summary_text(explanation: dict, *, top: int = 2) -> Joined:
    """The largest parts as a stored text (codes and numbers) for a notification, which every reader sees in
    their own language: "文本相关度 62%, IPC 邻近度 24%" / "text relevance 62%, IPC proximity 24%"."""
    ordered = sorted((explanation or {}).get("parts", []), key=lambda p: -float(p.get("share", 0)))[:top]
    return Joined([
        text(_("{part} {share:.0%}"), part=PART_LABELS.get(p.get("name", ""), p.get("name", "")), share=float(p.get("share", 0)))
        for p in ordered
    ], sep=", ")
