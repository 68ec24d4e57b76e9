"""Every kind of notification: one ``Verb`` enum with its bilingual label (preferences list them all)."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Verb(models.TextChoices):
    """What happened. The value is stored on each notification; the label names it in the preferences."""

    ORGANISATION_VERIFIED = "organisation.verified", _("机构通过认证")
    ORGANISATION_REJECTED = "organisation.rejected", _("机构未通过认证")
    ORGANISATION_REVOKED = "organisation.revoked", _("机构认证被撤销")

    LISTING_SUBMITTED = "listing.submitted", _("新挂牌待审核")
    LISTING_IN_REVIEW = "listing.in_review", _("挂牌进入审核")
    LISTING_PUBLISHED = "listing.published", _("挂牌已发布")
    LISTING_REJECTED = "listing.rejected", _("挂牌未通过审核")
    LISTING_WITHDRAWN = "listing.withdrawn", _("挂牌已撤回")
    LISTING_NEGOTIATION = "listing.negotiation", _("挂牌进入洽谈")
    LISTING_NEGOTIATION_ENDED = "listing.negotiation_ended", _("挂牌洽谈结束")
    LISTING_CLOSED = "listing.closed", _("挂牌已成交")
    LISTING_SUSPENDED = "listing.suspended", _("挂牌暂停交易")
    LISTING_REINSTATED = "listing.reinstated", _("挂牌恢复交易")
    LISTING_EXPIRED = "listing.expired", _("挂牌已到期")
    AUTHORISATION_UPLOADED = "authorisation.uploaded", _("授权书待核验")
    AUTHORISATION_ACCEPTED = "authorisation.accepted", _("授权书已核验")
    AUTHORISATION_REJECTED = "authorisation.rejected", _("授权书未通过核验")
    OPEN_LICENCE_TAKEN = "open_licence.taken", _("开放许可被实施")
    ENCUMBRANCE_RELEASED = "encumbrance.released", _("权利负担已解除")

    DEMAND_SUBMITTED = "demand.submitted", _("新需求待审核")
    DEMAND_IN_REVIEW = "demand.in_review", _("需求进入审核")
    DEMAND_PUBLISHED = "demand.published", _("需求已发布")
    DEMAND_REJECTED = "demand.rejected", _("需求未通过审核")
    DEMAND_WITHDRAWN = "demand.withdrawn", _("需求已撤回")
    DEMAND_CLOSED = "demand.closed", _("需求已关闭")
    DEMAND_SUSPENDED = "demand.suspended", _("需求已暂停")
    DEMAND_REINSTATED = "demand.reinstated", _("需求已恢复")
    DEMAND_EXPIRED = "demand.expired", _("需求已到期")

    DEMAND_MATCHES = "demand.matches", _("需求的新匹配专利")
    DEMAND_LISTING_MATCH = "demand.listing_match", _("新挂牌匹配我的需求")
    SAVED_SEARCH_ALERT = "saved_search.alert", _("保存检索的新结果")

    DEAL_ENQUIRY = "deal.enquiry", _("收到交易意向")
    DEAL_ACCEPT = "deal.accept", _("交易意向被接受")
    DEAL_DECLINE = "deal.decline", _("交易意向被拒绝")
    DEAL_CANCEL = "deal.cancel", _("交易已取消")
    DEAL_PAUSE = "deal.pause", _("交易已暂停")
    DEAL_RESUME = "deal.resume", _("交易已恢复")
    DEAL_RESUME_ENQUIRY = "deal.resume_enquiry", _("交易意向已恢复")
    DEAL_AGREE = "deal.agree", _("交易条款已商定")
    DEAL_REVIEW_OPEN = "deal.review_open", _("交易进入知识产权审查")
    DEAL_REVISE = "deal.revise", _("交易条款重新协商")
    DEAL_CONFIRM = "deal.confirm", _("合同已确认")
    DEAL_DISPUTE = "deal.dispute", _("交易发生争议")
    DEAL_RESOLVE = "deal.resolve", _("交易争议已解决")
    DEAL_CLOSE = "deal.close", _("交易已完成")
    DEAL_AWAIT_FUNDING = "deal.await_funding", _("交易进入托管付款")
    DEAL_FUND = "deal.fund", _("交易款项已托管")
    DEAL_SETTLE = "deal.settle", _("交易已结算")
    DEAL_SETTLEMENT_CANCEL = "deal.settlement_cancel", _("交易因未付款取消")
    DEAL_BROKER_INVITED = "deal.broker_invited", _("受邀担任交易经纪")
    DEAL_BROKER_REQUESTED = "deal.broker_requested", _("交易请求指派经纪")
    DEAL_REVIEW = "deal.review", _("知识产权审查结论")

    ESCROW_OPEN = "escrow.open", _("请付款至托管")
    ESCROW_FUND_PART = "escrow.fund_part", _("托管已收到部分款项")
    ESCROW_FUND = "escrow.fund", _("托管款项已到账")
    ESCROW_DELIVER = "escrow.deliver", _("卖方已交付里程碑")
    ESCROW_ACCEPT = "escrow.accept", _("买方已验收里程碑")
    ESCROW_REQUEST_RELEASE = "escrow.request_release", _("已申请放款")
    ESCROW_REJECT_EVIDENCE = "escrow.reject_evidence", _("放款凭证未通过核验")
    ESCROW_RELEASE = "escrow.release", _("托管款项已放款")
    ESCROW_REFUND = "escrow.refund", _("托管款项已退款")
    ESCROW_EXPIRE = "escrow.expire", _("托管付款期限已过")
    ESCROW_DISPUTE = "escrow.dispute", _("托管发生争议")
    ESCROW_RESOLVE = "escrow.resolve", _("托管争议已处理")
