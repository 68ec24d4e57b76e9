"""The contract generated from the agreed terms (CNIPA model structure, in Chinese), its PDF, and confirmations."""
from __future__ import annotations

import hashlib

from django.contrib.auth.models import User
from django.db import transaction
from django.template.loader import render_to_string

from listings.catalogue.models import LicenceKind
from listings.deals import access
from listings.deals.models import ContractConfirmation, Deal, DealKind, ReviewState, Side
from listings.deals.services.room import room_event
from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import IllegalTransition, RuleBroken

KIND_TITLES: dict[str, str] = {
    LicenceKind.EXCLUSIVE: "专利实施独占许可合同",
    LicenceKind.SOLE: "专利实施排他许可合同",
    LicenceKind.NON_EXCLUSIVE: "专利实施普通许可合同",
}


def _yuan(amount: int) -> str:
    return str(Money(int(amount))).replace("¥", "人民币 ") + " 元"


def contract_sections(deal: Deal) -> dict:
    """The contract as a title and numbered articles; the single source of the HTML, the PDF and the hash."""
    offer = deal.agreed_offer
    if offer is None:
        raise RuleBroken([("terms", "terms_not_agreed", "条款尚未商定，无法生成合同 / no agreed terms yet")])
    assignment = offer.deal_type == DealKind.ASSIGNMENT
    pending = any(p.legal_status == "pending" for p in deal.patents.all())
    right = "专利申请权" if pending else "专利权"
    title = f"{right}转让合同" if assignment else KIND_TITLES.get(offer.licence_kind, "专利实施许可合同")
    a_role, b_role = ("转让方（甲方）", "受让方（乙方）") if assignment else ("许可方（甲方）", "被许可方（乙方）")
    patents = [
        f"{p.title}，专利号/申请号 {p.patent_number or p.application_number}，公告号 {p.publication_number}，"
        f"类型 {p.get_kind_display()}，法律状态 {p.get_legal_status_display()}"
        + (f"，届满日 {p.expiry_date}" if p.expiry_date else "")
        for p in deal.patents.all().order_by("pk")
    ]
    articles = []
    articles.append(("合同双方", [f"{a_role}：{deal.seller.name}（统一社会信用代码 {deal.seller.uscc or '—'}）",
                                  f"{b_role}：{deal.buyer.name}（统一社会信用代码 {deal.buyer.uscc or '—'}）"]))
    articles.append(("合同标的（专利清单）", [f"{i}. {line}" for i, line in enumerate(patents, 1)]))
    if assignment:
        articles.append(("转让内容", [f"甲方将上述{right}及其全部权利转让给乙方，乙方同意受让。"]))
    else:
        scope = [f"许可类型：{offer.get_licence_kind_display()}",
                 f"许可地域：{offer.territory or '中华人民共和国境内'}",
                 f"使用领域：{offer.field_of_use or '不限'}",
                 f"许可期限：{offer.term_start or '合同生效之日'} 至 {offer.term_end or '专利权届满之日'}"]
        if offer.licence_kind == LicenceKind.EXCLUSIVE:
            scope.append("许可期限内，甲方不得在上述范围内实施该专利，亦不得许可任何第三方实施。")
        elif offer.licence_kind == LicenceKind.SOLE:
            scope.append("许可期限内，甲方可自行实施该专利，但不得许可任何第三方在上述范围内实施。")
        else:
            scope.append("甲方可自行实施并可许可第三方实施该专利。")
        articles.append(("许可范围", scope))
    payment = [f"合同价款：{_yuan(offer.price_amount)}（{offer.price_amount} 分）。"]
    if offer.royalty_bps:
        whole, frac = divmod(offer.royalty_bps, 100)
        payment.append(f"提成费：按乙方实施该专利所得销售额的 {whole}.{frac:02d}% 按年支付。")
    if offer.milestones:
        for i, m in enumerate(offer.milestones, 1):
            payment.append(f"第 {i} 期（{m['label']}）：{_yuan(m['amount'])}" + (f"，于 {m['due']} 前支付" if m.get("due") else ""))
    else:
        payment.append("价款于合同确认后一次性支付。")
    payment.append("价款通过交易所托管账户支付，托管资金按合同约定及登记/备案证明释放。")
    articles.append(("价款及支付方式", payment))
    if deal.commission_set_at:
        articles.append(("经纪佣金", [f"技术经纪佣金：{deal.commission_display}，{deal.get_commission_payer_display()}。"]))
    if assignment:
        articles.append(("转让登记", ["双方应于合同生效后共同向国家知识产权局办理著录项目变更（转让登记）手续；"
                                     f"{right}的转让自登记之日起生效（《专利法》第十条）。",
                                     "甲方应在合同生效后 30 日内向乙方提交办理登记所需的全部文件。"]))
    else:
        articles.append(("许可合同备案", ["甲方应自合同生效之日起三个月内向国家知识产权局办理专利实施许可合同备案。",
                                        "备案不影响合同效力，但未经备案不得对抗善意第三人。"]))
    articles.append(("保密", ["双方对在交易中获悉的对方技术秘密和商业信息负有保密义务，未经对方书面同意不得向第三方披露，"
                             "保密期限为合同终止后五年。"]))
    articles.append(("违约责任", ["任何一方违反本合同约定，应承担继续履行、采取补救措施或赔偿损失等违约责任。",
                                 "甲方保证其为合同标的的合法权利人或已获权利人授权，且标的不存在未披露的质押、许可或权属争议。"]))
    articles.append(("争议解决", ["因本合同引起的争议，双方应协商解决；协商不成的，提交合同签订地有管辖权的人民法院诉讼解决。"]))
    articles.append(("合同生效", [f"本合同依据第 {offer.version} 版报价商定的条款生成，经双方在专利展示交易网登录确认后生效。"]))
    return {"title": title, "articles": articles, "deal": deal, "offer": offer}


def contract_text(deal: Deal) -> str:
    """The exact text both parties confirm (what the sha256 is taken of)."""
    sections = contract_sections(deal)
    numerals = "一二三四五六七八九十"
    lines = [sections["title"], f"交易编号：{deal.pk}", ""]
    for i, (heading, paragraphs) in enumerate(sections["articles"]):
        n = numerals[i] if i < 10 else f"十{numerals[i - 10]}"
        lines.append(f"第{n}条 {heading}")
        lines.extend(paragraphs)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def contract_sha256(deal: Deal) -> str:
    return hashlib.sha256(contract_text(deal).encode("utf-8")).hexdigest()


def contract_pdf(deal: Deal) -> bytes:
    """The contract as PDF (WeasyPrint with a CJK font: text is extractable Chinese)."""
    from weasyprint import HTML

    html = render_to_string("deals/contract_print.html", {"text": contract_text(deal), "sections": contract_sections(deal),
                                                          "sha256": contract_sha256(deal)})
    return HTML(string=html).write_pdf()


def confirmations_valid(deal: Deal) -> list[ContractConfirmation]:
    return list(deal.confirmations.filter(voided_at__isnull=True).select_related("user"))


@transaction.atomic
def contract_confirm(*, deal: Deal, by: User, text_sha256: str) -> ContractConfirmation:
    """A party's own member confirms the text they were shown; when both sides have, the deal is
    ``contract_confirmed``. A changed text (terms revised since) is refused."""
    from listings.deals.services.lifecycle import deal_contract_confirm_complete, lock_listing_of
    from listings.deals.services.review import current_review

    lock_listing_of(deal)  # the listing before the deal, the order every deal transition keeps
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    side = access.party_side(by, locked)
    if side is None:
        raise NotPermitted("合同由交易双方本机构人员确认 / the parties' own members confirm the contract")
    if not locked.is_in_ip_review:
        raise IllegalTransition("deal", "contract_confirm", locked.status)
    review = current_review(locked)
    if review is None or review.state != ReviewState.CLEARED:
        raise RuleBroken([("review", "review_not_cleared", "知识产权评议尚未通过 / the IP review has not cleared the deal")])
    if text_sha256 != contract_sha256(locked):
        raise RuleBroken([("text_sha256", "contract_changed", "合同文本已变化，请重新阅读后确认 / the contract text changed: read it again")])
    if locked.confirmations.filter(side=side, voided_at__isnull=True, text_sha256=text_sha256).exists():
        raise RuleBroken([("side", "already_confirmed", "本方已确认 / your side has already confirmed")])
    row = ContractConfirmation.objects.create(deal=locked, side=side, user=by, text_sha256=text_sha256)
    room_event(locked, "contract_confirmed_by", by=by, side=side, sha256=text_sha256)
    sides = set(locked.confirmations.filter(voided_at__isnull=True, text_sha256=text_sha256).values_list("side", flat=True))
    if sides == {Side.SELLER, Side.BUYER}:
        deal_contract_confirm_complete(deal=locked)
    return row
