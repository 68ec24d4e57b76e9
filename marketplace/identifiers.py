"""Identifiers of the parties: the Unified Social Credit Code (GB 32100-2015, DOMAIN.md §3)."""
from __future__ import annotations

import re

from marketplace.kernel.errors import IdentifierError
from marketplace.kernel.validators import validate_with

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    total = 0
    for char, weight in zip(first17, USCC_WEIGHTS):
        index = USCC_ALPHABET.find(char)
        if index < 0:
            raise IdentifierError(f"统一社会信用代码含非法字符 {char!r} / invalid character {char!r}")
        total += index * weight
    value = 31 - total % 31
    return USCC_ALPHABET[0 if value == 31 else value]


#: what people paste inside a code: spaces (also full-width and non-breaking) and hyphens or dashes of any width
USCC_SEPARATORS = re.compile(r"[\s\u3000\-\u2010-\u2015\u2212\uff0d]+")


def parse_uscc(value: str) -> str:
    """The 18-character code, upper case, from what someone typed or pasted ("9111 0108-MA01…" included)."""
    if value is None:
        raise IdentifierError("统一社会信用代码为空 / USCC is empty")
    text = USCC_SEPARATORS.sub("", str(value)).upper()
    if len(text) != 18:
        raise IdentifierError(f"统一社会信用代码应为 18 位，实为 {len(text)} 位 / USCC must have 18 characters")
    bad = [c for c in text if c not in USCC_ALPHABET]
    if bad:
        raise IdentifierError(f"统一社会信用代码含非法字符 {bad[0]!r}（不使用 I、O、Z、S、V）/ invalid character {bad[0]!r}")
    expected = uscc_check_char(text[:17])
    if text[17] != expected:
        raise IdentifierError(f"统一社会信用代码校验位错误：应为 {expected} / wrong check character, expected {expected}")
    return text



def validate_uscc(value: object) -> None:
    validate_with(parse_uscc, value)
