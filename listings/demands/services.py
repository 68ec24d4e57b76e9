"""Technology demands: posting them, the same review discipline as listings, and keeping matches fresh.

Each transition locks the demand row, asks ``DEMAND_MACHINE``, checks the actor and the rules,
writes the status and a ``DemandTransition`` (who and why), then tells the parties. Publishing or
editing a published demand asks matching to refresh its matches once the transaction commits.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from listings.catalogue.identifiers import IdentifierError, parse_ipc
from listings.catalogue.models import DealType, Industry, Zone
from listings.demands import permissions as demand_permissions
from listings.demands.models import Demand, DemandStatus, DemandTransition, Visibility
from listings.demands.signals import demand_changed
from marketplace import permissions
from marketplace.kernel.limits import IPC_CODES_MAX, TEXT_MAX, TITLE_MAX, too_long_message
from marketplace.kernel.money import MAX_AMOUNT, Money
from marketplace.kernel.statemachine import Actor, IllegalTransition, RuleBroken, Rules, StateMachine, Transition
from marketplace.kernel.transitions import apply_transition
from marketplace.models import Organisation
from marketplace.notifications import Text, notify, text
from marketplace.services import NotPermitted, operators
from marketplace.verbs import Verb

D = DemandStatus

DEMAND_MACHINE = StateMachine(
    "demand",
    [
        Transition("submit", frozenset({D.DRAFT, D.REJECTED}), D.SUBMITTED, Actor.OWNER),
        Transition("review_start", frozenset({D.SUBMITTED}), D.IN_REVIEW, Actor.OPERATOR),
        Transition("approve", frozenset({D.IN_REVIEW}), D.PUBLISHED, Actor.OPERATOR),
        Transition("reject", frozenset({D.IN_REVIEW}), D.REJECTED, Actor.OPERATOR, needs_reason=True),
        Transition(
            "withdraw", frozenset({D.DRAFT, D.SUBMITTED, D.IN_REVIEW, D.REJECTED, D.PUBLISHED, D.SUSPENDED}),
            D.WITHDRAWN, Actor.OWNER,
        ),
        Transition("close", frozenset({D.PUBLISHED}), D.CLOSED, Actor.OWNER),
        # a published demand whose content was edited goes back to review (only budget and deadline change directly)
        Transition("resubmit", frozenset({D.PUBLISHED}), D.SUBMITTED, Actor.OWNER),
        Transition("suspend", frozenset({D.PUBLISHED}), D.SUSPENDED, Actor.SYSTEM, needs_reason=True),
        Transition("reinstate", frozenset({D.SUSPENDED}), D.PUBLISHED, Actor.OPERATOR, needs_reason=True),
        Transition("expire", frozenset({D.PUBLISHED, D.SUSPENDED}), D.EXPIRED, Actor.SYSTEM),
    ],
)

FIELDS = (
    "title", "problem", "ipc_codes", "budget_min", "budget_max", "currency", "deal_types", "deadline", "visibility",
)
#: what the reviewer approved: changing any of these on a published demand sends it back to review
#: (industries and zones too); budget and deadline change directly
CONTENT_FIELDS = ("title", "problem", "ipc_codes", "deal_types", "visibility")


def _members(organisation: Organisation) -> list:
    return [m.user for m in organisation.memberships.select_related("user")]


def tell_owner(demand: Demand, verb: Verb, title: Text, body: str = "") -> None:
    notify(users=_members(demand.organisation), verb=verb, title=title, body=body, url=demand.get_absolute_url())


def _refresh_matches(demand: Demand) -> None:
    """Tell subscribers (matching recomputes this demand's matches after commit)."""
    demand_changed.send(sender=Demand, demand=demand)


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------
def _normalise_ipc(rules: Rules, codes: Sequence[str]) -> list[str]:
    result: list[str] = []
    for code in codes or ():
        if not str(code).strip():
            continue
        try:
            value = str(parse_ipc(code))
        except IdentifierError as exc:
            rules.add("ipc_codes", "ipc_invalid", str(exc))
            continue
        if value not in result:
            result.append(value)
    return result


def _check(rules: Rules, v: dict, industries: Sequence[Industry], *, today: dt.date) -> None:
    rules.check(bool((v["title"] or "").strip()), "title", "required", "请填写标题 / a title is required")
    rules.check(bool((v["problem"] or "").strip()), "problem", "required", "请描述待解决的技术问题 / describe the problem")
    rules.check(len(v["title"]) <= TITLE_MAX, "title", "too_long", too_long_message(TITLE_MAX))
    rules.check(len(v["problem"]) <= TEXT_MAX, "problem", "too_long", too_long_message(TEXT_MAX))
    rules.check(
        len(v["ipc_codes"]) <= IPC_CODES_MAX, "ipc_codes", "too_many",
        f"IPC 分类最多 {IPC_CODES_MAX} 个 / at most {IPC_CODES_MAX} IPC codes",
    )
    if not v["ipc_codes"] and not industries and "ipc_codes" not in {f for f, _, _ in rules.violations}:
        rules.add(
            "ipc_codes", "field_required",
            "请至少填写一个 IPC 分类或选择一个产业 / give at least one IPC code or industry",
        )
    for name in ("budget_min", "budget_max"):
        amount = v[name]
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount < 0):
            rules.add(name, "budget_not_positive", "预算须为非负整数（分） / the budget is a non-negative amount of fen")
        elif amount is not None and amount > MAX_AMOUNT:
            rules.add(name, "amount_too_large", "预算须小于 2^53 分 / the budget must be below 2^53 fen")
    if (
        isinstance(v["budget_min"], int) and isinstance(v["budget_max"], int)
        and v["budget_min"] > v["budget_max"]
    ):
        rules.add("budget_max", "budget_range_inverted", "预算上限低于下限 / the budget maximum is below the minimum")
    rules.check(v["currency"] == "CNY", "currency", "currency_not_cny", "预算以人民币计 / budgets are in CNY")
    deal_types = v["deal_types"] or []
    if not deal_types:
        rules.add("deal_types", "deal_types_required", "请至少选择一种可接受的交易方式 / choose at least one deal type")
    for deal_type in deal_types:
        if deal_type not in DealType.values:
            rules.add("deal_types", "invalid_choice", f"未知交易方式 / unknown deal type {deal_type!r}")
    if len(set(deal_types)) != len(deal_types):
        rules.add("deal_types", "deal_type_duplicated", "交易方式重复 / a deal type appears twice")
    deadline = v["deadline"]
    if not isinstance(deadline, dt.date):
        rules.add("deadline", "required", "请填写截止日期 / a deadline is required")
    elif deadline <= today:
        rules.add("deadline", "deadline_in_past", "截止日期须晚于今天 / the deadline must be in the future")
    rules.check(
        v["visibility"] in Visibility.values, "visibility", "invalid_choice",
        f"未知公开方式 / unknown visibility {v['visibility']!r}",
    )


def _values(
    *, title, problem, ipc_codes, budget_min: Money | None, budget_max: Money | None, deal_types, deadline, visibility
) -> dict:
    currency = "CNY"
    amounts = {}
    for name, money in (("budget_min", budget_min), ("budget_max", budget_max)):
        if money is not None and not isinstance(money, Money):
            raise RuleBroken([(name, "budget_not_money", "预算须为金额（Money） / the budget must be Money")])
        if money is not None:
            currency = money.currency
        amounts[name] = None if money is None else money.amount
    return {
        "title": (title or "").strip(), "problem": problem or "", "ipc_codes": list(ipc_codes or []),
        "currency": currency, "deal_types": list(deal_types or []), "deadline": deadline,
        "visibility": visibility, **amounts,
    }


def demand_violations(
    *, title: str = "", problem: str = "", ipc_codes: Sequence[str] = (), industries: Sequence[Industry] = (),
    budget_min: Money | None = None, budget_max: Money | None = None, deal_types: Sequence[str] = (),
    deadline: dt.date | None = None, visibility: str = Visibility.PUBLIC,
) -> list[tuple[str, str, str]]:
    """The rules ``demand_create`` and ``demand_update`` apply, checked without writing: the demand form shows them
    together with its own field errors, so a first submit reports every problem."""
    rules = Rules()
    try:
        v = _values(title=title, problem=problem, ipc_codes=ipc_codes, budget_min=budget_min, budget_max=budget_max,
                    deal_types=deal_types, deadline=deadline, visibility=visibility)
    except RuleBroken as exc:
        return list(exc.violations)
    v["ipc_codes"] = _normalise_ipc(rules, v["ipc_codes"])
    _check(rules, v, list(industries), today=timezone.localdate())
    return rules.violations


# --------------------------------------------------------------------------------------------
# Create and edit
# --------------------------------------------------------------------------------------------
@transaction.atomic
def demand_create(
    *,
    organisation: Organisation,
    by: User,
    title: str,
    problem: str,
    deal_types: Sequence[str],
    deadline: dt.date,
    ipc_codes: Sequence[str] = (),
    industries: Sequence[Industry] = (),
    zones: Sequence[Zone] = (),
    budget_min: Money | None = None,
    budget_max: Money | None = None,
    visibility: str = Visibility.PUBLIC,
    submission_token: uuid.UUID | None = None,
) -> Demand:
    """A draft demand. ``submission_token`` (the form's one-time token) makes creation idempotent: the same form
    submitted again returns the demand it created instead of a second draft."""
    if not permissions.has_role(by, organisation, demand_permissions.DEMAND_ROLES):
        raise NotPermitted(f"您不是“{organisation}”的需求方或经纪人 / you do not post demands for {organisation}")
    if submission_token is not None:
        earlier = _created_with(submission_token, by)
        if earlier is not None:
            return earlier
    rules = Rules()
    v = _values(title=title, problem=problem, ipc_codes=ipc_codes, budget_min=budget_min, budget_max=budget_max,
                deal_types=deal_types, deadline=deadline, visibility=visibility)
    v["ipc_codes"] = _normalise_ipc(rules, v["ipc_codes"])
    _check(rules, v, list(industries), today=timezone.localdate())
    rules.raise_if_any()
    try:
        with transaction.atomic():  # a savepoint: the same form submitted in parallel may have won the race
            demand = Demand.objects.create(organisation=organisation, created_by=by, submission_token=submission_token, **v)
    except IntegrityError:
        earlier = _created_with(submission_token, by) if submission_token is not None else None
        if earlier is None:
            raise
        return earlier
    demand.industries.set(industries)
    demand.zones.set(zones)
    DemandTransition.objects.create(demand=demand, action="create", from_status=D.DRAFT, to_status=D.DRAFT, by=by)
    return demand



def _created_with(token: uuid.UUID, by: User) -> Demand | None:
    """The demand this form token already created; someone else's token is refused, never shown."""
    earlier = Demand.objects.filter(submission_token=token).first()
    if earlier is not None and earlier.created_by_id != by.pk:
        raise RuleBroken([("submission_token", "token_used", "此表单已提交过，请刷新页面后重试 / this form was already used: reload the page")])
    return earlier


@transaction.atomic
def demand_update(
    *, demand: Demand, by: User, industries: Sequence[Industry] | None = None, zones: Sequence[Zone] | None = None,
    reason: str = "", **changes,
) -> Demand:
    """Edit a draft, a demand sent back, or a published one (recorded, and its matches refreshed)."""
    locked = Demand.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=demand.pk)
    if not demand_permissions.can_manage_demand(by, locked):
        raise NotPermitted("您无权修改此需求 / you may not edit this demand")
    if not locked.is_editable:
        raise IllegalTransition("demand", "edit", locked.status)
    allowed = {"title", "problem", "ipc_codes", "budget_min", "budget_max", "deal_types", "deadline", "visibility"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"demand_update got unexpected fields {sorted(unknown)}")
    current = {name: getattr(locked, name) for name in allowed - {"budget_min", "budget_max"}}
    current["budget_min"], current["budget_max"] = locked.budget_low, locked.budget_high
    current.update(changes)
    rules = Rules()
    v = _values(**current)
    v["ipc_codes"] = _normalise_ipc(rules, v["ipc_codes"])
    new_industries = list(industries) if industries is not None else list(locked.industries.all())
    _check(rules, v, new_industries, today=timezone.localdate())
    rules.raise_if_any()
    content_changed = any(v[name] != getattr(locked, name) for name in CONTENT_FIELDS)
    if industries is not None:
        content_changed |= {i.pk for i in industries} != set(locked.industries.values_list("pk", flat=True))
    if zones is not None:
        content_changed |= {z.pk for z in zones} != set(locked.zones.values_list("pk", flat=True))
    for name, value in v.items():
        setattr(locked, name, value)
    locked.save()
    if industries is not None:
        locked.industries.set(industries)
    if zones is not None:
        locked.zones.set(zones)
    DemandTransition.objects.create(
        demand=locked, action="edit", from_status=locked.status, to_status=locked.status, by=by, reason=reason
    )
    if locked.status == D.PUBLISHED and content_changed:
        demand_resubmit(demand=locked, by=by, reason=reason or "内容已修改，重新审核 / content edited, back to review")
    elif locked.status == D.PUBLISHED:
        _refresh_matches(locked)
    demand.refresh_from_db()
    return demand


# --------------------------------------------------------------------------------------------
# Transitions
# --------------------------------------------------------------------------------------------
def _may(by: User | None) -> Callable[[Transition, Demand], bool]:
    """Who may take a demand transition: the machine's ``actor`` read against ``by`` (``None`` is the system)."""

    def allowed(transition: Transition, demand: Demand) -> bool:
        if transition.actor == Actor.SYSTEM:
            return by is None or permissions.is_operator(by)
        if transition.actor == Actor.OPERATOR:
            return permissions.is_operator(by)
        if transition.actor == Actor.OWNER:
            return demand_permissions.can_manage_demand(by, demand)
        return demand_permissions.can_manage_demand(by, demand) or permissions.is_operator(by)

    return allowed


def _apply(
    demand: Demand, action: str, by: User | None, reason: str = "", *,
    effect: Callable[[Demand, Transition], Iterable[str] | None] | None = None,
    announce: Callable[[Demand], None] | None = None,
) -> Demand:
    return apply_transition(
        demand, machine=DEMAND_MACHINE, action=action, by=by, reason=reason, allowed=_may(by),
        history=DemandTransition, effect=effect, announce=announce, related=("organisation",),
    )


def full_check(demand: Demand) -> None:
    rules = Rules()
    rules.check(
        demand.organisation.is_verified, "organisation", "organisation_not_verified",
        f"机构“{demand.organisation}”尚未通过认证 / the organisation is not verified",
    )
    v = {name: getattr(demand, name) for name in FIELDS}
    _check(rules, v, list(demand.industries.all()), today=timezone.localdate())
    rules.raise_if_any()


def _submitted_effect(locked: Demand, transition: Transition) -> list[str]:
    """Submit and resubmit alike: the whole demand must pass the checks, and it is stamped as submitted now."""
    full_check(locked)
    locked.submitted_at = timezone.now()
    return ["submitted_at"]


def demand_submit(*, demand: Demand, by: User, reason: str = "") -> Demand:
    def announce(locked: Demand) -> None:
        notify(users=operators(), verb=Verb.DEMAND_SUBMITTED,
               title=text(_("新技术需求待审核：{title}"), title=locked.title), url="/review/")

    return _apply(demand, "submit", by, reason, effect=_submitted_effect, announce=announce)


def demand_resubmit(*, demand: Demand, by: User, reason: str = "") -> Demand:
    """A published demand whose content changed leaves the public pages until an operator approves it again."""

    def announce(locked: Demand) -> None:
        notify(users=operators(), verb=Verb.DEMAND_SUBMITTED,
               title=text(_("已发布的技术需求修改后待重新审核：{title}"), title=locked.title), url="/review/")

    return _apply(demand, "resubmit", by, reason, effect=_submitted_effect, announce=announce)


def demand_review_start(*, demand: Demand, by: User, reason: str = "") -> Demand:
    return _apply(demand, "review_start", by, reason, announce=lambda locked: tell_owner(
        locked, Verb.DEMAND_IN_REVIEW, text(_("技术需求“{title}”进入审核"), title=locked.title)))


def demand_approve(*, demand: Demand, by: User, reason: str = "") -> Demand:
    def effect(locked: Demand, transition: Transition) -> list[str]:
        full_check(locked)
        locked.published_at = timezone.now()
        return ["published_at"]

    def announce(locked: Demand) -> None:
        tell_owner(locked, Verb.DEMAND_PUBLISHED, text(_("技术需求“{title}”已通过审核并发布"), title=locked.title), reason)
        _refresh_matches(locked)

    return _apply(demand, "approve", by, reason, effect=effect, announce=announce)


def demand_reject(*, demand: Demand, by: User, reason: str) -> Demand:
    return _apply(demand, "reject", by, reason, announce=lambda locked: tell_owner(
        locked, Verb.DEMAND_REJECTED, text(_("技术需求“{title}”未通过审核"), title=locked.title), reason.strip()))


def demand_withdraw(*, demand: Demand, by: User, reason: str = "") -> Demand:
    return _apply(demand, "withdraw", by, reason, announce=lambda locked: tell_owner(
        locked, Verb.DEMAND_WITHDRAWN, text(_("技术需求“{title}”已撤回"), title=locked.title), reason))


def demand_close(*, demand: Demand, by: User, reason: str = "") -> Demand:
    """The firm found what it needed."""
    return _apply(demand, "close", by, reason, announce=lambda locked: tell_owner(
        locked, Verb.DEMAND_CLOSED, text(_("技术需求“{title}”已关闭（已解决）"), title=locked.title), reason))


def demand_suspend(*, demand: Demand, by: User | None, reason: str) -> Demand:
    return _apply(demand, "suspend", by, reason, announce=lambda locked: tell_owner(
        locked, Verb.DEMAND_SUSPENDED, text(_("技术需求“{title}”已被暂停"), title=locked.title), reason.strip()))


def demand_reinstate(*, demand: Demand, by: User, reason: str) -> Demand:
    def announce(locked: Demand) -> None:
        tell_owner(locked, Verb.DEMAND_REINSTATED, text(_("技术需求“{title}”已恢复"), title=locked.title), reason.strip())
        _refresh_matches(locked)

    return _apply(demand, "reinstate", by, reason, effect=lambda locked, transition: full_check(locked), announce=announce)


def demand_expire(*, demand: Demand, by: User | None = None, reason: str = "") -> Demand:
    return _apply(demand, "expire", by, reason or "截止日期已过 / the deadline passed", announce=lambda locked: tell_owner(
        locked, Verb.DEMAND_EXPIRED, text(_("技术需求“{title}”已过截止日期"), title=locked.title)))


def demands_expire_due(*, today: dt.date | None = None) -> list[int]:
    """Expire every published or suspended demand whose deadline is before ``today``."""
    today = today or timezone.localdate()
    due = Demand.objects.filter(status__in=DEMAND_MACHINE["expire"].sources, deadline__lt=today)
    expired = []
    for pk in list(due.values_list("pk", flat=True)):
        try:
            demand_expire(demand=Demand(pk=pk), by=None)
        except IllegalTransition:
            continue
        expired.append(pk)
    return expired
