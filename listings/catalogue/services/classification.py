"""Which industries and zones a patent belongs to, derived from its IPC codes and the scope rules.

Classification is never typed in: it follows from ``IpcScopeRule`` rows, so changing a scope (or
loading the SEI-2021 table) only needs ``patents_reclassify_all`` to bring every patent in line.

Matching (the semantics of the CNIPA 2021 table, see ``IpcScopeRule``): rules with the same
``rule_no`` of an industry form a group; a code belongs to the group when it matches an include of
the group and no exclude of it. ``prefix`` is a plain string prefix over the normalised code, so a
main-group pattern ``H04L1/`` does not take ``H04L12/…``, and a patent known only down to its
subclass (``G06F``) is matched by ``G06F`` or a broader pattern (``G06``). A narrower pattern
(``G06F16/``) takes it only with keyword confirmation: when the industry lists ``keywords`` and the
patent's title or abstract contains one of them (IPC + keywords, the usual delimitation of a field in
patent-landscape work). Without keywords we cannot claim a field the code does not reach.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from listings.catalogue.models import IpcScopeRule, Patent, PatentIpc, Zone

BATCH = 2000


@dataclass
class _RuleGroup:
    industry_id: int
    includes: list[tuple[str, str]] = field(default_factory=list)  # (pattern, match)
    excludes: list[tuple[str, str]] = field(default_factory=list)

    @staticmethod
    def _hit(code: str, pattern: str, match: str) -> bool:
        return code == pattern if match == IpcScopeRule.Match.EXACT else code.startswith(pattern)

    def has_narrower_within(self, subclass: str) -> bool:
        """An include pattern lies strictly inside this subclass (``H04B10/`` inside ``H04B``)."""
        return any(p.startswith(subclass) and len(p) > len(subclass) for p, _ in self.includes)

    def contains(self, code: str) -> bool:
        return any(self._hit(code, p, m) for p, m in self.includes) and not any(
            self._hit(code, p, m) for p, m in self.excludes
        )


class ScopeMatcher:
    """All scope rules in memory, with a per-code cache: a patent database has far fewer distinct
    codes than patents, so each code is tested against the rules once."""

    def __init__(self, rules: Iterable[IpcScopeRule] | None = None):
        groups: dict[tuple[int, int], _RuleGroup] = {}
        if rules is None:
            rules = IpcScopeRule.objects.only("industry_id", "rule_no", "role", "pattern", "match")
        for rule in rules:
            group = groups.setdefault((rule.industry_id, rule.rule_no), _RuleGroup(rule.industry_id))
            target = group.includes if rule.role == IpcScopeRule.Role.INCLUDE else group.excludes
            target.append((rule.pattern, rule.match))
        self._groups = list(groups.values())
        self._cache: dict[str, frozenset[int]] = {}
        self._narrower_cache: dict[str, frozenset[int]] = {}
        from listings.catalogue.models import Industry

        self.keywords: dict[int, tuple[str, ...]] = {
            pk: tuple(k for k in (words or []) if k) for pk, words in Industry.objects.values_list("pk", "keywords")
        }
        self.zone_by_industry: dict[int, set[int]] = defaultdict(set)
        for zone_id, industry_id in Zone.objects.values_list("id", "industry_id"):
            self.zone_by_industry[industry_id].add(zone_id)

    def industries_for_code(self, code: str) -> frozenset[int]:
        hit = self._cache.get(code)
        if hit is None:
            hit = frozenset(g.industry_id for g in self._groups if g.contains(code))
            self._cache[code] = hit
        return hit

    def industries_for_codes(self, codes: Iterable[str]) -> set[int]:
        found: set[int] = set()
        for code in codes:
            found |= self.industries_for_code(code)
        return found

    def industries_by_keyword(self, codes: Iterable[str], text: str) -> set[int]:
        """Industries confirmed by keywords for subclass-only codes (see the module docstring)."""
        found: set[int] = set()
        if not text:
            return found
        for code in codes:
            if len(code) != 4:  # only codes that stop at a subclass
                continue
            candidates = self._narrower_cache.get(code)
            if candidates is None:
                candidates = frozenset(
                    g.industry_id for g in self._groups if self.keywords.get(g.industry_id) and g.has_narrower_within(code)
                )
                self._narrower_cache[code] = candidates
            for industry_id in candidates:
                if any(word in text for word in self.keywords[industry_id]):
                    found.add(industry_id)
        return found

    def zones_for_industries(self, industry_ids: Iterable[int]) -> set[int]:
        zones: set[int] = set()
        for industry_id in industry_ids:
            zones |= self.zone_by_industry.get(industry_id, set())
        return zones


def _sync_m2m(through, owner_field: str, target_field: str, wanted: dict[int, set[int]]) -> set[int]:
    """Make the through table hold exactly ``wanted`` for these owners; return the owners that changed."""
    owners = list(wanted)
    current: dict[int, set[int]] = defaultdict(set)
    for owner_id, target_id in through.objects.filter(**{f"{owner_field}__in": owners}).values_list(
        owner_field, target_field
    ):
        current[owner_id].add(target_id)
    changed: set[int] = set()
    to_add: list[Any] = []  # rows of ``through``, whichever m2m table that is
    to_remove: list[tuple[int, set[int]]] = []
    for owner_id, targets in wanted.items():
        have = current.get(owner_id, set())
        if targets == have:
            continue
        changed.add(owner_id)
        to_add.extend(through(**{owner_field: owner_id, target_field: t}) for t in targets - have)
        if have - targets:
            to_remove.append((owner_id, have - targets))
    for owner_id, targets in to_remove:
        through.objects.filter(**{owner_field: owner_id, f"{target_field}__in": targets}).delete()
    if to_add:
        through.objects.bulk_create(to_add, batch_size=BATCH)
    return changed


@transaction.atomic
def patents_classify(*, patent_ids: Iterable[int] | None = None, matcher: ScopeMatcher | None = None) -> set[int]:
    """Set ``industries`` and ``zones`` of these patents (all when ``None``) from their IPC codes.

    Returns the ids whose classification changed; the caller decides about re-indexing, because the
    importer merges these ids with the ones it created or updated.
    """
    matcher = matcher or ScopeMatcher()
    changed: set[int] = set()
    if patent_ids is None:
        id_iter = Patent.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=BATCH)
    else:
        id_iter = iter(sorted(set(patent_ids)))
    while True:
        chunk = [pid for _, pid in zip(range(BATCH), id_iter)]
        if not chunk:
            break
        codes: dict[int, list[str]] = {pid: [] for pid in chunk}
        for pid, code in PatentIpc.objects.filter(patent_id__in=chunk).values_list("patent_id", "code"):
            codes[pid].append(code)
        texts = {
            pid: f"{title} {abstract}"
            for pid, title, abstract in Patent.objects.filter(pk__in=chunk).values_list("pk", "title", "abstract")
        }
        industries = {
            pid: matcher.industries_for_codes(c) | matcher.industries_by_keyword(c, texts.get(pid, ""))
            for pid, c in codes.items()
        }
        zones = {pid: matcher.zones_for_industries(ind) for pid, ind in industries.items()}
        changed |= _sync_m2m(Patent.industries.through, "patent_id", "industry_id", industries)
        changed |= _sync_m2m(Patent.zones.through, "patent_id", "zone_id", zones)
    return changed


def patents_reclassify_all() -> set[int]:
    """Re-derive every patent's industries and zones (after scope rules change) and re-index those that moved."""
    from listings.catalogue.signals import announce_patents_changed

    with transaction.atomic():
        changed = patents_classify(patent_ids=None)
        announce_patents_changed(changed)
    return changed
