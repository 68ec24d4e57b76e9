"""Stored texts: a message's code (its Chinese msgid) and its parameters, rendered in the reader's language.

A notification is written once, by a service running in whatever language its request or task had, and read later
by people who chose Chinese or English. So it stores what to say, not the words: ``text(_("挂牌“{title}”已发布"),
title=…)`` keeps the msgid and the parameters; a parameter may itself be a translatable label (a lazy
``gettext_lazy`` string or a nested ``text``), a list of texts joined by a separator, or a plain value (a title,
a number with its format in the template, ``{share:.0%}``). ``render(stored)`` turns it into words in the active
language.

Stored form (JSON): ``{"t": msgid, "p": {name: value}}``; a value is a JSON scalar, a nested stored text, or
``{"join": sep, "items": [...]}``. Rows written before codes existed carry ``{"lit": {"zh-hans": …, "en": …}}``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext


def msgid_of(value: str | Promise) -> str:
    """The untranslated source of a lazy translatable string (with no language active gettext is the identity)."""
    with translation.override(None):
        return str(value)


@dataclass(frozen=True)
class Text:
    template: str | Promise
    params: dict[str, Any] = field(default_factory=dict)

    def stored(self) -> dict:
        return {"t": msgid_of(self.template), "p": {name: _store(value) for name, value in self.params.items()}}

    def __str__(self) -> str:
        return render(self.stored())


@dataclass(frozen=True)
class Joined:
    items: list
    sep: str = "\n"

    def stored(self) -> dict:
        return {"join": self.sep, "items": [_store(item) for item in self.items]}


def text(template: str | Promise, /, **params: Any) -> Text:
    """A text to store: ``template`` is a ``gettext_lazy`` msgid (or a literal), ``params`` fill its fields."""
    return Text(template, params)


def _store(value: Any) -> Any:
    if isinstance(value, (Text, Joined)):
        return value.stored()
    if isinstance(value, Promise):
        return {"t": msgid_of(value), "p": {}}
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)  # a title, a name, an organisation, an amount with its currency: as written


def stored(value: Text | Joined | str | Promise | None) -> dict:
    """Any accepted title or body in its stored form; a plain string is stored as written (not translated)."""
    if value is None or value == "":
        return {}
    if isinstance(value, (Text, Joined)):
        return value.stored()
    if isinstance(value, Promise):
        return {"t": msgid_of(value), "p": {}}
    return {"lit": {"*": str(value)}}


class _Params(dict):
    """A missing field shows as ``{name}`` instead of failing the whole page."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(value: Any) -> str:
    """A stored text (or value) in the active language."""
    if isinstance(value, dict):
        if "join" in value:
            return str(value["join"]).join(render(item) for item in value.get("items", []))
        if "lit" in value:
            literal = value["lit"]
            language = translation.get_language() or "zh-hans"
            chosen = literal.get("en") if language.startswith("en") else None
            return chosen or literal.get("zh-hans") or literal.get("*") or next(iter(literal.values()), "")
        if "t" in value:
            template = gettext(value["t"]) if value["t"] else ""
            params = _Params({name: _param(item) for name, item in (value.get("p") or {}).items()})
            try:
                return template.format_map(params)
            except (ValueError, TypeError, IndexError):  # a translation whose fields do not fit: say it in Chinese
                return value["t"].format_map(params)
        return ""
    return "" if value is None else str(value)


def _param(value: Any) -> Any:
    return render(value) if isinstance(value, dict) else value


def render_in(value: Any, language: str) -> str:
    with translation.override(language):
        return render(value)
