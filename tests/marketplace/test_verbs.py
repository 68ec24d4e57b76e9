"""The notification-kind registry: every verb the code sends is declared, labelled in both languages and mutable."""
import ast
from pathlib import Path

import pytest
from django.utils import translation

from marketplace import inbox
from marketplace.notifications import notify
from marketplace.verbs import Verb
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def _verbs_sent_in_code() -> set[str]:
    """``Verb.X`` members named anywhere in the apps' code."""
    names: set[str] = set()
    for path in [*ROOT.glob("listings/**/*.py"), *ROOT.glob("marketplace/**/*.py"), *ROOT.glob("escrow/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Verb":
                names.add(node.attr)
    return names - {"choices", "values", "labels", "names"}


def test_every_verb_named_in_code_is_declared():
    declared = set(Verb.__members__)
    assert _verbs_sent_in_code() <= declared


@pytest.mark.django_db
def test_every_verb_is_offered_in_the_preferences():
    user = UserFactory()
    offered = {verb for verb, _label in inbox.verb_choices(user=user)}
    assert set(Verb.values) <= offered


def test_every_verb_has_an_english_label():
    with translation.override("en"):
        untranslated = [v.value for v in Verb if any("\u4e00" <= ch <= "\u9fff" for ch in str(v.label))]
    assert untranslated == []


@pytest.mark.django_db
def test_an_undeclared_verb_is_refused_before_anything_is_written():
    user = UserFactory()
    with pytest.raises(ValueError):
        notify(users=[user], verb="listing.teleported", title="x")  # type: ignore[arg-type]
    assert not user.notifications.exists()


def test_every_action_of_the_announcing_machines_has_its_verb():
    """Deals and escrow announce each transition as ``<machine>.<action>``: every declared action needs a Verb."""
    from escrow.settlement.services import ESCROW_MACHINE
    from listings.deals.services.lifecycle import DEAL_MACHINE

    missing = [
        f"{prefix}.{action}"
        for prefix, machine in (("deal", DEAL_MACHINE), ("escrow", ESCROW_MACHINE))
        for action in machine.transitions
        if f"{prefix}.{action}" not in Verb.values
    ]
    assert missing == []
