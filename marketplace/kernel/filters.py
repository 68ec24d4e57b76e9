"""Parsing query parameters into filters: each bad value becomes a FilterError naming its parameter."""
from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from typing import Any

from django.db.models import Q

from marketplace.kernel.errors import FilterError
from marketplace.kernel.money import Money


def money_param(params: Mapping[str, Any], name: str, errors: list[FilterError]) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        amount = Money.parse(raw).amount
    except ValueError as exc:
        errors.append(FilterError(name, str(exc)))
        return None
    if amount < 0:
        errors.append(FilterError(name, "金额不能为负 / the amount cannot be negative"))
        return None
    return amount


def choice_param(params: Mapping[str, Any], name: str, choices: Container[str], errors: list[FilterError]) -> str:
    value = (params.get(name) or "").strip()
    if value and value not in choices:
        errors.append(FilterError(name, f"未知取值 / unknown value {value!r}"))
    return value


def keyword_q(words: str, fields: Iterable[str]) -> Q:
    """Every whitespace-separated word must occur in one of ``fields`` (case-insensitive)."""
    condition = Q()
    for word in words.split()[:8]:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition
