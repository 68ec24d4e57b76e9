"""What the member home shows, read in one place: the first steps (organisation → verification → a listing or a
demand), the member's organisations, listings, demands and deals with their state, and what waits on them.

It reads every domain below it (parties, trading, demands, deals) and writes nothing."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.translation import gettext as _

from listings.deals import selectors as deal_selectors
from listings.deals.models import Deal
from listings.demands import permissions as demand_permissions
from listings.demands import selectors as demand_selectors
from listings.demands.models import Demand, DemandStatus
from listings.trading import permissions as listing_permissions
from listings.trading import selectors as listing_selectors
from listings.trading.models import Listing, ListingStatus
from marketplace import inbox, permissions
from marketplace.models import Membership, OrganisationReview

SHOWN = 8


@dataclass
class Step:
    key: str
    title: str
    text: str
    done: bool
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)


@dataclass
class Waiting:
    text: str
    url: str


@dataclass
class MemberHome:
    steps: list[Step]
    current_step: str  # the first step not done, "" when all are
    memberships: list[Membership]
    rejections: dict[int, OrganisationReview]  # organisation id → its latest refusal, when not verified
    listings: list[Listing]
    listings_total: int
    demands: list[Demand]
    demands_total: int
    deals: list[tuple[Deal, str]]
    waiting: list[Waiting]
    unread: int
    review_days: int


def member_home(*, user: User) -> MemberHome:
    memberships = list(Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name"))
    org_ids = {m.organisation_id for m in memberships}
    verified = any(m.organisation.is_verified for m in memberships)
    rejections: dict[int, OrganisationReview] = {}
    for review in OrganisationReview.objects.filter(organisation_id__in=org_ids).select_related("organisation").order_by("created_at", "pk"):
        rejections[review.organisation_id] = review  # the latest decision per organisation
    rejections = {pk: r for pk, r in rejections.items()
                  if r.decision != OrganisationReview.Decision.VERIFIED and not _is_verified(memberships, pk)}

    listings_qs = listing_selectors.my_listings(user=user)
    demands_qs = demand_selectors.my_demands(user=user)
    listings, demands = list(listings_qs[:SHOWN]), list(demands_qs[:SHOWN])
    listings_total, demands_total = listings_qs.count(), demands_qs.count()
    can_list = permissions.organisations_for(user, listing_permissions.LISTING_ROLES).filter(is_verified=True).exists()
    can_post = permissions.organisations_for(user, demand_permissions.DEMAND_ROLES).filter(is_verified=True).exists()
    deals = deal_selectors.my_deals(user)
    review_days = settings.ORGANISATION_REVIEW_WORKING_DAYS

    steps = [
        Step("organisation", _("加入或登记机构"),
             _("在本站挂牌专利或发布需求的是机构（企业、高校、科研院所等）。登记您的机构并选择您的角色：权利人挂牌专利，"
               "需求方发布技术需求；如果机构已在本站登记，请该机构的成员添加您。"),
             bool(memberships), [(_("登记机构"), reverse("marketplace:my-organisations"))]),
        Step("verification", _("等待机构认证"),
             _("运营人员核对统一社会信用代码与机构名称（必要时联系您），通常在 %(days)d 个工作日内完成；"
               "结果会通过通知和邮件告诉您。认证通过后机构才能挂牌或发布需求；未通过时会写明原因，修改后可重新提交。")
             % {"days": review_days},
             verified, [(_("查看认证状态"), reverse("marketplace:my-organisations"))]),
        Step("publish", _("挂牌专利或发布需求"),
             _("权利人选择机构名下的专利并填写交易方式与价格；需求方描述要解决的技术问题、预算与期限。"
               "提交后由运营人员审核，发布后即可收到匹配与交易意向。"),
             listings_total + demands_total > 0,
             [(_("挂牌专利"), reverse("listings:listing-create")), (_("发布技术需求"), reverse("listings:demand-create"))]),
    ]
    # operators act for the exchange, not for an organisation: no first steps for them unless they joined one
    operator_only = permissions.is_operator(user) and not memberships
    current = "" if operator_only else next((step.key for step in steps if not step.done), "")

    waiting: list[Waiting] = []
    for review in rejections.values():
        waiting.append(Waiting(_("机构“%(name)s”未通过认证：%(reason)s") % {
            "name": review.organisation.name, "reason": review.reason or "—"}, reverse("marketplace:my-organisations")))
    for listing in listings_qs.filter(status__in=(ListingStatus.DRAFT, ListingStatus.REJECTED))[:SHOWN]:
        what = _("挂牌“%(title)s”被退回，请修改后重新提交") if listing.status == ListingStatus.REJECTED \
            else _("挂牌“%(title)s”还是草稿，提交后才会审核")
        waiting.append(Waiting(what % {"title": listing.title}, listing.get_absolute_url()))
    for demand in demands_qs.filter(status__in=(DemandStatus.DRAFT, DemandStatus.REJECTED))[:SHOWN]:
        what = _("技术需求“%(title)s”被退回，请修改后重新提交") if demand.status == DemandStatus.REJECTED \
            else _("技术需求“%(title)s”还是草稿，提交后才会审核")
        waiting.append(Waiting(what % {"title": demand.title}, demand.get_absolute_url()))
    for deal, wait in deals:
        if wait:
            waiting.append(Waiting(_("交易 #%(pk)d“%(title)s”：%(wait)s") % {"pk": deal.pk, "title": deal.title, "wait": wait},
                                   deal.get_absolute_url()))
    # an organisation waiting for verification waits on the operators, not on the member: the steps say so
    if verified and listings_total + demands_total == 0:
        if can_list:
            waiting.append(Waiting(_("机构已认证：现在可以挂牌专利"), reverse("listings:listing-create")))
        if can_post:
            waiting.append(Waiting(_("机构已认证：现在可以发布技术需求"), reverse("listings:demand-create")))
    if permissions.can_review(user):
        waiting.append(Waiting(_("审核队列中的机构、挂牌、需求与授权书"), reverse("marketplace:review-queue")))

    return MemberHome(
        steps=steps, current_step=current, memberships=memberships, rejections=rejections,
        listings=listings, listings_total=listings_total, demands=demands, demands_total=demands_total,
        deals=deals[:SHOWN], waiting=waiting, unread=inbox.unread_count(user=user), review_days=review_days,
    )


def _is_verified(memberships: list[Membership], organisation_id: int) -> bool:
    return any(m.organisation_id == organisation_id and m.organisation.is_verified for m in memberships)
