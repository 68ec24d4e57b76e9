"""Loading the zone directory: the 8 zones and their industries with IPC scopes, the 40 SEI-2021
industries, and the organisations the founding document names (associations, pilot enterprises and
the ten non-production service firms).

The directory is reference data the whole site hangs on, so loading is idempotent: rows are matched
by code or name and only differences are written. When scope rules change, every patent is
reclassified, because a patent's industries and zones are derived from those rules.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction

from listings.catalogue.fixtures_data import zone_directory as directory
from listings.catalogue.fixtures_data.sei2021_en import SEI2021_INDUSTRIES_EN, ZONE_CATEGORY_ZH
from listings.catalogue.models import Industry, IpcScopeRule, Zone
from marketplace.models import Organisation

ZONE_MAPPING_FILE = "zone_industry_ipc_mapping_derived.csv"
SEI_INDUSTRIES_FILE = "sei2021_industries.csv"
SEI_PATTERNS_FILE = "sei2021_ipc_patterns_long.csv"
SEI_RULES_FILE = "sei2021_ipc_rules.csv"
SEED_SOURCE = "seed 000_5af6dca12980b3ef 第三部分"
SEI_BASIS = "国家知识产权局《战略性新兴产业分类与国际专利分类参照关系表（2021）（试行）》"
SEI_PREFIX = "SEI-"


@dataclass
class DirectoryLoadResult:
    zones: int = 0
    zone_scope_source: str = ""
    sei_industries: int = 0
    rules_created: int = 0
    rules_deleted: int = 0
    rules_updated: int = 0
    organisations_created: int = 0
    organisations_updated: int = 0
    reclassified: int = 0

    def as_text(self) -> str:
        return (
            f"实验区 zones {self.zones}（IPC 范围 scope: {self.zone_scope_source}）; SEI-2021 产业 industries "
            f"{self.sei_industries}; 规则 rules +{self.rules_created} −{self.rules_deleted} ~{self.rules_updated}; "
            f"机构 organisations +{self.organisations_created} ~{self.organisations_updated}; "
            f"重新分类专利 reclassified {self.reclassified}"
        )


@dataclass(frozen=True)
class RuleSpec:
    rule_no: int
    role: str
    pattern: str
    match: str
    confidence: str = ""
    basis: str = ""

    @property
    def key(self) -> tuple:
        return (self.rule_no, self.role, self.pattern, self.match)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


_M = TypeVar("_M", bound=models.Model)


def _upsert(model: type[_M], lookup: dict[str, Any], values: dict[str, Any]) -> tuple[_M, str]:
    """Create, update only the fields that differ, or leave alone: ``created`` / ``updated`` / ``unchanged``."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **values), "created"
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed + (["updated_at"] if hasattr(obj, "updated_at") else []))
        return obj, "updated"
    return obj, "unchanged"


def _sync_rules(industry: Industry, specs: list[RuleSpec], result: DirectoryLoadResult) -> bool:
    """Make the industry's rules exactly ``specs``; True when anything changed."""
    wanted = {spec.key: spec for spec in specs}
    existing = {(r.rule_no, r.role, r.pattern, r.match): r for r in industry.scope_rules.all()}
    stale = [r.pk for key, r in existing.items() if key not in wanted]
    new = [
        IpcScopeRule(industry=industry, rule_no=s.rule_no, role=s.role, pattern=s.pattern, match=s.match,
                     confidence=s.confidence, basis=s.basis)
        for key, s in wanted.items() if key not in existing
    ]
    changed_rows = []
    for key, rule in existing.items():
        spec = wanted.get(key)
        if spec and (rule.confidence, rule.basis) != (spec.confidence, spec.basis):
            rule.confidence, rule.basis = spec.confidence, spec.basis
            changed_rows.append(rule)
    if stale:
        IpcScopeRule.objects.filter(pk__in=stale).delete()
    if new:
        IpcScopeRule.objects.bulk_create(new)
    if changed_rows:
        IpcScopeRule.objects.bulk_update(changed_rows, ["confidence", "basis"])
    result.rules_created += len(new)
    result.rules_deleted += len(stale)
    result.rules_updated += len(changed_rows)
    return bool(stale or new)


def _zone_scopes(data_dir: Path | None) -> tuple[dict[str, list[RuleSpec]], str]:
    path = data_dir / ZONE_MAPPING_FILE if data_dir else None
    if path and path.exists():
        scopes: dict[str, list[RuleSpec]] = defaultdict(list)
        for row in _read_csv(path):
            scopes[row["zone_code"]].append(RuleSpec(
                rule_no=1, role=IpcScopeRule.Role.INCLUDE, pattern=row["ipc_pattern"].strip(),
                match=row["match"].strip(), confidence=row.get("confidence", ""),
                basis=f"{ZONE_MAPPING_FILE} (派生，非官方 / derived, not official): {row.get('basis', '')}".strip(),
            ))
        return scopes, ZONE_MAPPING_FILE
    scopes = {
        code: [RuleSpec(1, IpcScopeRule.Role.INCLUDE, pattern, match, "low", "内置最小范围 / built-in minimal scope")
               for pattern, match in rules]
        for code, rules in directory.BUILTIN_ZONE_SCOPE.items()
    }
    return scopes, "内置 built-in (../shared/data 不存在 / absent)"


def _load_zones(data_dir: Path | None, result: DirectoryLoadResult) -> bool:
    scopes, result.zone_scope_source = _zone_scopes(data_dir)
    changed = False
    for position, (code, slug, name_zh, short, name_en, industry_zh, industry_en) in enumerate(directory.ZONES, 1):
        industry, _ = _upsert(Industry, {"code": code}, {
            "scheme": Industry.Scheme.ZONE,
            "name_zh": industry_zh,
            "name_en": industry_en,
            "category": ZONE_CATEGORY_ZH,
            "basis": f"{SEED_SOURCE} 第一章 一; IPC: {result.zone_scope_source}",
            "keywords": directory.ZONE_KEYWORDS.get(code, []),
        })
        changed |= _sync_rules(industry, scopes.get(code, []), result)
        _upsert(Zone, {"code": code}, {
            "slug": slug, "name_zh": name_zh, "name_en": name_en, "short_name_zh": short,
            "industry": industry, "position": position,
        })
        result.zones += 1
    return changed


def _load_sei(data_dir: Path | None, result: DirectoryLoadResult) -> bool:
    if not data_dir or not (data_dir / SEI_INDUSTRIES_FILE).exists() or not (data_dir / SEI_PATTERNS_FILE).exists():
        return False
    keywords: dict[tuple[str, int], str] = {}
    if (data_dir / SEI_RULES_FILE).exists():
        for row in _read_csv(data_dir / SEI_RULES_FILE):
            keywords[(row["sei_code"], int(row["rule_no"]))] = (
                f"{SEI_BASIS} 第 {row['source_pdf_page']} 页: {row['keywords']}"
            )
    specs: dict[str, list[RuleSpec]] = defaultdict(list)
    for row in _read_csv(data_dir / SEI_PATTERNS_FILE):
        rule_no = int(row["rule_no"])
        specs[row["sei_code"]].append(RuleSpec(
            rule_no=rule_no, role=row["role"], pattern=row["ipc_pattern"].strip(), match=row["match"],
            basis=keywords.get((row["sei_code"], rule_no), SEI_BASIS),
        ))
    changed = False
    for row in _read_csv(data_dir / SEI_INDUSTRIES_FILE):
        industry, _ = _upsert(Industry, {"code": SEI_PREFIX + row["sei_code"]}, {
            "scheme": Industry.Scheme.SEI2021,
            "name_zh": row["sei_name"],
            "name_en": SEI2021_INDUSTRIES_EN.get(row["sei_code"], ""),
            "category": f"{row['sei_category_code']} {row['sei_category_name']}",
            "basis": SEI_BASIS,
        })
        changed |= _sync_rules(industry, specs.get(row["sei_code"], []), result)
        result.sei_industries += 1
    return changed


def _load_organisations(result: DirectoryLoadResult) -> None:
    def count(outcome: str) -> None:
        if outcome == "created":
            result.organisations_created += 1
        elif outcome == "updated":
            result.organisations_updated += 1

    for name, field in directory.ASSOCIATIONS:
        _, outcome = _upsert(Organisation, {"name": name}, {
            "kind": Organisation.Kind.ASSOCIATION, "industry_field": field,
            "pilot_programmes": [directory.PILOT_ASSOCIATION], "source": SEED_SOURCE,
        })
        count(outcome)
    for _number, name, field, remark in directory.PILOT_ENTERPRISES:
        firm = directory.SERVICE_FIRMS.get(name)
        values = {
            "kind": Organisation.Kind.SERVICE_AGENCY if firm else Organisation.Kind.ENTERPRISE,
            "industry_field": field,
            "remark": remark,
            "pilot_programmes": [directory.PILOT_ENTERPRISE] + ([directory.NON_PRODUCTION] if firm else []),
            "source": SEED_SOURCE,
        }
        if firm:
            values.update(description=firm["description"], services=firm["services"], contact=firm["contact"])
        _, outcome = _upsert(Organisation, {"name": name}, values)
        count(outcome)


def default_data_dir() -> Path | None:
    path = Path(settings.SHARED_DATA_DIR)
    return path if path.is_dir() else None


def zone_directory_load(*, data_dir: Path | None = None, use_shared: bool = True) -> DirectoryLoadResult:
    """Load or refresh the directory; reclassify all patents when any scope rule changed."""
    from listings.catalogue.services.classification import patents_reclassify_all

    if data_dir is None and use_shared:
        data_dir = default_data_dir()
    result = DirectoryLoadResult()
    with transaction.atomic():
        rules_changed = _load_zones(data_dir, result)
        rules_changed |= _load_sei(data_dir, result)
        _load_organisations(result)
    if rules_changed:
        result.reclassified = len(patents_reclassify_all())
    return result


def zone_directory_is_loaded() -> bool:
    """Whether all eight zones exist (bootstrap's quick check)."""
    return Zone.objects.filter(code__in=[z[0] for z in directory.ZONES]).count() == len(directory.ZONES)
