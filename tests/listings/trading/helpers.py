"""Assertions shared by the trading tests."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from marketplace.kernel.statemachine import RuleBroken


@contextmanager
def breaks(field: str, rule: str):
    """The block raises ``RuleBroken`` naming ``field`` with ``rule`` (and a message for people)."""
    with pytest.raises(RuleBroken) as info:
        yield info
    pairs = [(f, r) for f, r, _ in info.value.violations]
    assert (field, rule) in pairs, f"expected {field}/{rule}, got {pairs}"
    assert info.value.message_dict[field], "each violation carries a message"


def snapshot(model) -> list[tuple]:
    """Every row of ``model`` as tuples, to show that nothing changed."""
    return list(model.objects.order_by("pk").values_list())
