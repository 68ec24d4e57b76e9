"""Names of applicants and patentees: the displayed form and the key that makes two spellings one party."""
from __future__ import annotations

import re
import unicodedata

_SPACE_RE = re.compile(r"\s+")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
#: a country code a source appended to a name, e.g. 科大讯飞股份有限公司（CN）
COUNTRY_SUFFIX_RE = re.compile(r"\s*[（(]\s*(CN|中国)\s*[)）]\s*$")


def display_name(name: str) -> str:
    """The name as shown: spaces trimmed; in Chinese names the brackets are full-width, as registered names write them."""
    text = _SPACE_RE.sub(" ", (name or "").strip())
    if _CJK_RE.search(text):
        text = text.replace("(", "（").replace(")", "）").replace(" （", "（")
    return text


def normalise_name(name: str) -> str:
    """The key under which two spellings are one party: NFKC (full-width brackets become half-width), no spaces, case-folded."""
    return _SPACE_RE.sub("", unicodedata.normalize("NFKC", name or "")).casefold()
