"""Query understanding shared by every engine: patent numbers, IPC codes in the text, request-language stop
words, synonym groups, and the coverage rule for partial matches."""
from __future__ import annotations

import dataclasses
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from search import analysis
from search.synonyms import canonical, default_table

#: request language: words people put around what they want (dropped from queries, never from the index)
REQUEST_STOPWORDS = frozenset(
    """需要 我们 我 你们 希望 想 想要 寻求 寻找 求购 求 请 请问 如何 怎样 怎么 能够 可以 能 提供 实现 解决
    问题 技术 方案 相关 有关 关于 进行 提高 提升 降低 改善 改进 增加 减少 一个 一些 这种 那种 什么 哪些 是否
    自动化的 采用 利用 通过 使用 新型 新 好 高效 有效""".split()
)
QUERY_EN_STOPWORDS = frozenset(
    """we need want looking look seek seeking how to improve improving reduce reducing technology technologies
    solution solutions please find provide providing new""".split()
)
QUERY_STOPWORDS = analysis.CJK_STOPWORDS | REQUEST_STOPWORDS
#: partial matches are offered when fewer documents than this hold every word (filters ignored)
PARTIAL_BELOW = 10
#: a sentence: this many informative words (suggested fields are offered for it)
SENTENCE_WORDS = 4

_IPC_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9])([A-Ha-h])\s?(\d{2})\s?([A-Za-z])(?:\s*(\d{1,4})\s*/\s*(\d{2,6}))?(?![A-Za-z0-9/])"
)
_NUMBER_IN_TEXT = re.compile(
    r"(?<![A-Z0-9])(?:(CN|ZL)\s*)?(\d[\d \-.]{5,20}[\dX])(?:\s*([ABCUYSD])(\d?))?(?![A-Z0-9])"
)


@dataclass(frozen=True)
class TermGroup:
    """One informative word of the query and what may stand for it: alternatives ORed, the tokens of one
    alternative ANDed (``锂电池`` → 锂电池 | 锂离子 电池 | lithium ion batteri …)."""

    word: str
    alternatives: tuple[tuple[str, ...], ...]

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for alt in self.alternatives for t in alt))


@dataclass(frozen=True)
class Understanding:
    text: str  # the query without numbers and IPC codes
    groups: tuple[TermGroup, ...]
    dropped: tuple[str, ...]  # stop-words left out
    numbers: tuple[str, ...]  # keys to look up (``number_keys``)
    ipc: str  # an IPC code found in the text, normalised ("" if none)
    only_stopwords: bool = False
    synonyms_version: str = ""

    @property
    def empty(self) -> bool:
        return not self.groups and not self.numbers

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(g.word for g in self.groups)

    @property
    def highlight_tokens(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for g in self.groups for t in g.tokens))

    @property
    def is_sentence(self) -> bool:
        return len(self.groups) >= SENTENCE_WORDS

    def min_coverage(self) -> int:
        """Documents must hold at least half of the informative words (and at least one)."""
        informative = [g for g in self.groups if _informative(g)]
        return max(1, math.ceil(len(informative) / 2))


def _informative(group: TermGroup) -> bool:
    return not (len(group.word) == 1 and analysis.is_cjk(group.word))


def informative_groups(u: Understanding) -> tuple[TermGroup, ...]:
    return tuple(g for g in u.groups if _informative(g)) or u.groups


# ----------------------------------------------------------------------------------------------------
# numbers
# ----------------------------------------------------------------------------------------------------
def document_number_keys(publication_number: str, application_number: str = "") -> tuple[str, ...]:
    """What a document can be found by: its publication digits and its application number without the
    check digit (``CN111600024B`` → 111600024; ``202010486123.4`` → 202010486123)."""
    keys = []
    for value in (publication_number, application_number):
        compact = re.sub(r"[^0-9A-Z]", "", analysis.normalise(value).upper())
        digits = re.sub(r"^(CN|ZL)", "", compact)
        digits = re.sub(r"[ABCUYSD]\d?$", "", digits) if value is publication_number else digits
        if value is application_number and len(digits) in (9, 13):
            digits = digits[:-1]  # the check digit
        if digits.isdigit() and len(digits) >= 6:
            keys.append(digits)
    return tuple(dict.fromkeys(keys))


def _query_number_keys(digits: str) -> list[str]:
    digits = digits.upper()
    keys = []
    if digits.isdigit():
        keys.append(digits)
    if len(digits) in (9, 13) and digits[:-1].isdigit():
        keys.append(digits[:-1])  # an application number with its check digit (or X)
    return keys


def find_numbers(text: str) -> tuple[list[str], str]:
    """Publication and application numbers in any common form, and the text without them."""
    upper = analysis.normalise(text).upper()
    keys: list[str] = []
    spans = []
    for m in _NUMBER_IN_TEXT.finditer(upper):
        digits = re.sub(r"[ \-.]", "", m.group(2))
        if len(digits) not in (8, 9, 12, 13) and not (m.group(1) and 6 <= len(digits) <= 13):
            continue
        found = _query_number_keys(digits)
        if found:
            keys.extend(found)
            spans.append(m.span())
    if not spans:
        return [], text
    rest = upper
    for start, end in reversed(spans):
        rest = rest[:start] + " " + rest[end:]
    return list(dict.fromkeys(keys)), rest


def find_ipc(text: str) -> tuple[str, str]:
    """The first IPC code (subclass or finer) in the text, normalised, and the text without it."""
    from listings.catalogue.identifiers import IdentifierError, parse_ipc

    for m in _IPC_IN_TEXT.finditer(text):
        section, cls, sub, group, subgroup = m.groups()
        raw = f"{section}{cls}{sub}".upper() + (f"{group}/{subgroup}" if group else "")
        try:
            code = str(parse_ipc(raw))
        except IdentifierError:
            continue
        return code, text[: m.start()] + " " + text[m.end() :]
    return "", text


# ----------------------------------------------------------------------------------------------------
# words
# ----------------------------------------------------------------------------------------------------
def _precise(text: str) -> list[str]:
    return list(analysis.query_tokens(text).all_tokens)


def _alternative(term: str) -> tuple[str, ...]:
    return tuple(_precise(term))


#: parsed queries kept per process (the same words are searched again and again: pages, facets, matching)
UNDERSTOOD_CACHE = 4_096
_understood: OrderedDict[tuple[int, str], tuple[object, Understanding]] = OrderedDict()
_understood_lock = threading.Lock()


def understand(text: str, *, synonyms=None) -> Understanding:
    """Numbers, an IPC code, stop-words and synonym groups of a query (precise-mode jieba, no sub-words).

    The result is a frozen value of the text and the table, so it is kept per process (keyed by the table
    object, which is itself cached per path: a new table version is a new key)."""
    table = synonyms if synonyms is not None else default_table()
    if len(text) > 1_000:
        return _understand(text, table)
    key = (id(table), text)
    with _understood_lock:
        found = _understood.get(key)
        if found is not None and found[0] is table:
            _understood.move_to_end(key)
            return found[1]
    result = _understand(text, table)
    with _understood_lock:
        _understood[key] = (table, result)
        while len(_understood) > UNDERSTOOD_CACHE:
            _understood.popitem(last=False)
    return result


def _understand(text: str, table) -> Understanding:
    numbers, rest = find_numbers(text)
    ipc, rest = find_ipc(rest)
    canon = canonical(rest)
    groups: list[TermGroup] = []
    dropped: list[str] = []
    pieces: list[tuple[int, TermGroup | str]] = []  # (position, TermGroup | plain text)
    cursor = 0
    for start, end, term in table.find(canon):
        if start > cursor:
            pieces.append((cursor, canon[cursor:start]))
        alternatives = tuple(a for a in dict.fromkeys(_alternative(t) for t in table.expand(term)) if a)
        pieces.append((start, TermGroup(term, alternatives)))
        cursor = end
    if cursor < len(canon):
        pieces.append((cursor, canon[cursor:]))
    stop_only: list[TermGroup] = []
    seen: set[str] = set()
    for _, piece in pieces:
        if isinstance(piece, TermGroup):
            if piece.word not in seen and piece.alternatives:
                seen.add(piece.word)
                groups.append(piece)
            continue
        for token in _precise(piece):
            if token in seen:
                continue
            seen.add(token)
            group = TermGroup(token, ((token,),))
            if token in QUERY_STOPWORDS or token in analysis.EN_STOPWORDS or token in QUERY_EN_STOPWORDS:
                dropped.append(token)
                stop_only.append(group)
            else:
                groups.append(group)
    only_stopwords = not groups and bool(stop_only)
    if only_stopwords:
        groups = stop_only
        dropped = []
    return Understanding(
        text=rest.strip(),
        groups=tuple(groups[:32]),
        dropped=tuple(dropped),
        numbers=tuple(numbers),
        ipc=ipc,
        only_stopwords=only_stopwords,
        synonyms_version=table.version,
    )


def apply_ipc(filters, u: Understanding):
    """The filters with the query's IPC code applied: it becomes the filter when none is set, or narrows a
    compatible one (H01 + H01M → H01M); an explicit, incompatible filter wins."""
    if not u.ipc:
        return filters, ""
    current = filters.ipc
    if not current or u.ipc.startswith(current):
        return dataclasses.replace(filters, ipc=u.ipc), u.ipc
    return filters, ""


def text_without(u: Understanding, word: str) -> str:
    """The query text rebuilt without one informative word (for the "drop a word" suggestion)."""
    return " ".join(g.word for g in u.groups if g.word != word)
