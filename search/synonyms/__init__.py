"""The curated synonym and abbreviation table (Solr format, versioned): loading, validation and lookup."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from search.analysis import normalise

DEFAULT_TABLE = Path(__file__).with_name("zh_en_v2.txt")
_VERSION = re.compile(r"^#\s*version:\s*(\S+)\s*$")
_SEPARATORS = re.compile(r"[\s\-_]+")
_LATIN_EDGE = re.compile(r"[a-z0-9]")


class SynonymError(ValueError):
    """The table is malformed; the message names the file and line."""


def canonical(text: str) -> str:
    """NFKC, lower case, and hyphens/underscores/runs of spaces as one space (``Li-ion`` = ``li ion``)."""
    return _SEPARATORS.sub(" ", normalise(text)).strip()


@dataclass(frozen=True)
class SynonymTable:
    version: str
    path: str
    #: canonical term → every term it expands to (itself first)
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: equivalence groups and one-way rules as written (for Elasticsearch's synonym_graph filter)
    rules: tuple[str, ...] = ()

    def expand(self, term: str) -> tuple[str, ...]:
        key = canonical(term)
        return self.expansions.get(key, (key,))

    @functools.cached_property
    def _pattern(self) -> re.Pattern | None:
        terms = sorted(self.expansions, key=len, reverse=True)
        if not terms:
            return None
        parts = []
        for term in terms:
            body = re.escape(term)
            # a Latin term only matches whole words (``ic`` is not inside ``magnetic``)
            if _LATIN_EDGE.match(term[0]):
                body = r"(?<![a-z0-9])" + body
            if _LATIN_EDGE.match(term[-1]):
                body = body + r"(?![a-z0-9])"
            parts.append(body)
        return re.compile("|".join(parts))

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, canonical term) in ``canonical(text)``, longest terms first."""
        if self._pattern is None:
            return []
        return [(m.start(), m.end(), m.group()) for m in self._pattern.finditer(text)]


def _split(terms: str, where: str) -> list[str]:
    out = []
    for raw in terms.split(","):
        term = canonical(raw)
        if not term:
            raise SynonymError(f"{where}: empty term in {terms.strip()!r}")
        out.append(term)
    return out


def parse_synonyms(text: str, *, path: str = "<string>") -> SynonymTable:
    """Parse and validate a table: a ``# version: NAME`` line first; no empty terms or groups, no term on two
    lines or twice in one, no cycle among one-way (``=>``) rules. Errors name the line."""
    version = ""
    expansions: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    edges: dict[str, list[str]] = {}
    rules: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{path}:{number}"
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            match = _VERSION.match(stripped)
            if match and not version:
                version = match.group(1)
            continue
        if not version:
            raise SynonymError(f"{where}: the table must start with a '# version: NAME' line")
        if "=>" in stripped:
            left, _, right = stripped.partition("=>")
            if "=>" in right:
                raise SynonymError(f"{where}: more than one '=>'")
            if not left.strip() or not right.strip():
                raise SynonymError(f"{where}: empty side of '=>'")
            sources, targets = _split(left, where), _split(right, where)
            terms = sources
            for source in sources:
                edges.setdefault(source, []).extend(t for t in targets if t != source)
        else:
            terms = _split(stripped, where)
            if len(terms) < 2:
                raise SynonymError(f"{where}: a group needs at least two terms, got {terms[0]!r}")
            targets = terms
            sources = terms
        for term in terms:
            if term in seen:
                other = "the same line" if seen[term] == number else f"line {seen[term]}"
                raise SynonymError(f"{where}: duplicate term {term!r} (already on {other})")
            seen[term] = number
        for source in sources:
            expansions[source] = list(dict.fromkeys([source, *targets]))
        rules.append(stripped)
    if not version:
        raise SynonymError(f"{path}: no '# version: NAME' line")
    _refuse_cycles(edges, seen, path)
    return SynonymTable(
        version=version,
        path=path,
        expansions={k: tuple(v) for k, v in expansions.items()},
        rules=tuple(rules),
    )


def _refuse_cycles(edges: dict[str, list[str]], lines: dict[str, int], path: str) -> None:
    """One-way rules must not lead back to where they started (a => b, b => a)."""
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt):] + [node, nxt] if nxt in trail else [node, nxt]
                line = lines.get(node, 0)
                raise SynonymError(f"{path}:{line}: cycle in one-way rules: {' => '.join(dict.fromkeys(cycle))} => {nxt}")
            if state.get(nxt) is None:
                visit(nxt, trail + [node])
        state[node] = 2

    for node in list(edges):
        if state.get(node) is None:
            visit(node, [])


def load_synonyms(path: str | Path = DEFAULT_TABLE) -> SynonymTable:
    path = Path(path)
    return parse_synonyms(path.read_text(encoding="utf-8"), path=path.name)


@functools.lru_cache(maxsize=4)
def _cached(path: str) -> SynonymTable:
    return load_synonyms(path)


def default_table() -> SynonymTable:
    """The table named by ``settings.SEARCH_SYNONYMS`` (default: zh_en_v2.txt beside this module)."""
    try:
        from django.conf import settings

        path = getattr(settings, "SEARCH_SYNONYMS", None) or DEFAULT_TABLE
    except Exception:  # settings not configured (scripts): the default table
        path = DEFAULT_TABLE
    return _cached(str(path))
