"""``apply_transition``: the one body of every declared transition (lock, check, change, record, tell)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.db import models, transaction

from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.statemachine import RuleBroken, StateMachine, Transition

M = TypeVar("M", bound=models.Model)


def lock(obj: M, *, related: Sequence[str] = ()) -> M:
    """The object's row, re-read and locked for this transaction (``SELECT … FOR UPDATE`` on Postgres)."""
    manager = type(obj)._default_manager
    qs = manager.select_for_update(of=("self",)) if related else manager.select_for_update()
    if related:
        qs = qs.select_related(*related)
    return qs.get(pk=obj.pk)


@transaction.atomic
def apply_transition(
    obj: M,
    *,
    machine: StateMachine,
    action: str,
    by: Any,
    reason: str = "",
    allowed: Callable[[Transition, M], bool],
    history: type[models.Model],
    effect: Callable[[M, Transition], Iterable[str] | None] | None = None,
    announce: Callable[[M], None] | None = None,
    related: Sequence[str] = (),
) -> M:
    """Run one declared transition atomically, with the row locked.

    1. lock the row and ask the machine (``IllegalTransition``, 409, if the action is not allowed from here);
    2. ``allowed(transition, locked)`` decides whether ``by`` may take it (``NotPermitted``, 403);
    3. a transition that needs a reason refuses a blank one (``RuleBroken`` on ``reason``);
    4. ``effect(locked, transition)`` checks the domain rules and sets fields; it returns the names it changed;
    5. the status moves, the row is saved, and one audit row is written to ``history`` (a concrete
       ``TransitionRecord`` whose ``subject_field`` names its foreign key);
    6. ``announce(locked)`` tells people (notifications are delivered after commit) and sends signals.

    Anything raised rolls the whole transition back. The caller's instance is refreshed and returned.
    """
    locked = lock(obj, related=related)
    stateful: Any = locked  # any model with a ``status`` field; ``M`` can only be bound to Model
    transition = machine.check(action, stateful.status)
    if not allowed(transition, locked):
        raise NotPermitted(f"您无权执行“{action}” / you may not {action} this {machine.name}")
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise RuleBroken([("reason", "reason_required", "请填写原因 / a reason is required")])
    changed = list(effect(locked, transition) or ()) if effect else []
    from_status = stateful.status
    stateful.status = transition.target
    fields = ["status", *changed]
    if any(f.name == "updated_at" for f in locked._meta.get_fields()):
        fields.append("updated_at")
    locked.save(update_fields=fields)
    history._default_manager.create(
        **{history.subject_field: locked},  # type: ignore[attr-defined]
        action=transition.action, from_status=from_status, to_status=transition.target, by=by, reason=reason,
    )
    if announce:
        announce(locked)
    obj.refresh_from_db()
    return obj
