"""Declared state machines (django-oscar style), rule collection, and the errors every transition raises.

Each machine is a table: action name → (the states it may start from, the state it leads to, who
may take it). A service per action asks the machine first; anything not in the table is refused
with ``IllegalTransition`` and nothing is written.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from marketplace.kernel.errors import DomainError


class Actor:
    OWNER = "owner"  # a member of the owning organisation in a permitted role
    OPERATOR = "operator"  # exchange staff
    OWNER_OR_OPERATOR = "owner_or_operator"
    PARTY = "party"  # the owner, an operator, or a member of the counterparty organisation
    SYSTEM = "system"  # status watch, encumbrance registration, expiry; also open to operators


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    actor: str
    needs_reason: bool = False


class IllegalTransition(DomainError):
    """The action is not allowed from the object's current state (nothing was changed). HTTP 409."""

    status = 409
    default_code = "illegal_transition"

    def __init__(self, machine: str, action: str, current: str):
        self.machine, self.action, self.current = machine, action, current
        super().__init__(
            "status", None, f"{machine}: 当前状态“{current}”不允许执行“{action}” / cannot {action!r} from status {current!r}"
        )


class StateMachine:
    def __init__(self, name: str, transitions: Iterable[Transition]):
        self.name = name
        self.transitions = {t.action: t for t in transitions}

    def __getitem__(self, action: str) -> Transition:
        return self.transitions[action]

    def check(self, action: str, current: str) -> Transition:
        transition = self.transitions.get(action)
        if transition is None or current not in transition.sources:
            raise IllegalTransition(self.name, action, current)
        return transition

    def allowed_actions(self, current: str) -> list[str]:
        return [a for a, t in self.transitions.items() if current in t.sources]

    def table(self) -> dict[str, set[str]]:
        """Every state → the states reachable from it in one step."""
        result: dict[str, set[str]] = {}
        for t in self.transitions.values():
            for source in t.sources:
                result.setdefault(source, set()).add(t.target)
        return result


class RuleBroken(DomainError, ValidationError):  # type: ignore[misc]  # DomainError's str code/message narrow ValidationError's
    """One or more trading rules are broken; each names its field and rule code. Nothing was changed.

    A ``ValidationError`` keyed by field, so forms show each message beside its field and the API
    returns ``{"field": ["message"]}`` with the rule codes alongside.
    """

    def __init__(self, violations: list[tuple[str, str, str]]):
        self._violations = list(violations)
        first = self._violations[0] if self._violations else ("", "", "")
        DomainError.__init__(self, first[0], first[1], first[2])
        ValidationError.__init__(
            self,
            {
                field: [ValidationError(message, code=rule) for f, rule, message in self.violations if f == field]
                for field in dict.fromkeys(f for f, _, _ in self.violations)
            }
        )

    @property
    def violations(self) -> list[tuple[str, str, str]]:
        return self._violations

    @property
    def rules(self) -> list[str]:
        return [rule for _, rule, _ in self.violations]

    @property
    def fields(self) -> list[str]:
        return [field for field, _, _ in self.violations]

    def __str__(self) -> str:
        return "; ".join(f"{field} [{rule}]: {message}" for field, rule, message in self.violations)


class Rules:
    """Collects violations, then raises them all at once."""

    def __init__(self) -> None:
        self.violations: list[tuple[str, str, str]] = []

    def add(self, field: str, rule: str, message: str) -> None:
        self.violations.append((field, rule, message))

    def check(self, condition: bool, field: str, rule: str, message: str) -> None:
        if not condition:
            self.add(field, rule, message)

    def raise_if_any(self) -> None:
        if self.violations:
            raise RuleBroken(self.violations)
