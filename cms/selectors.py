"""Reads the exhibition site needs beyond ``listings.catalogue.selectors``: zone statistics for charts,
scope rules with their IPC titles, IPC paths of a patent, and the service-agency directory.

Nothing here writes. Page models and views call these and only render the result.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _

from listings.catalogue.identifiers import IPC_LEVELS, PUBLICATION_KIND_CODES, IdentifierError, parse_ipc
from listings.catalogue.models import (
    Industry,
    IpcEntry,
    IpcScopeRule,
    LegalStatus,
    Patent,
    PatentIpc,
    PatentKind,
    Zone,
    in_force_q,
)
from listings.catalogue.selectors import PatentFilters, ipc_titles
from marketplace.kernel.errors import FilterError
from marketplace.models import Organisation

IPC_SECTIONS = "ABCDEFGH"


# --------------------------------------------------------------------------------------------
# Patent list filters
# --------------------------------------------------------------------------------------------
def patent_filters_from_query(params) -> PatentFilters:
    """``PatentFilters.from_query`` plus the ``section`` select of the list page.

    ``from_query`` reads ``section`` as a fallback for ``ipc``; a bad section would be reported
    as a bad ``ipc``. Here the message names the parameter the visitor actually sent.
    """
    filters = PatentFilters.from_query(params)
    section = (params.get("section") or "").strip().upper()
    if section and not (params.get("ipc") or "").strip():
        if len(section) != 1 or section not in IPC_SECTIONS:
            errors = tuple(e for e in filters.errors if e.param != "ipc")
            errors += (FilterError("section", f"未知 IPC 部 / unknown IPC section {section!r}"),)
            filters = replace(filters, errors=errors)
    return filters


@dataclass(frozen=True)
class FilterChoices:
    zones: list[tuple[str, str]]
    industries: list[tuple[str, list[tuple[str, str]]]]
    sections: list[tuple[str, str]]
    kinds: list[tuple[str, str]]
    statuses: list[tuple[str, str]]


def patent_filter_choices() -> FilterChoices:
    """The options of the list page's selects, labelled in the active language."""
    zones = [(z.code, z.name) for z in Zone.objects.all()]
    grouped: dict[str, list[tuple[str, str]]] = {}
    scheme_labels = dict(Industry.Scheme.choices)
    for industry in Industry.objects.all():
        label = str(scheme_labels.get(industry.scheme, industry.scheme))
        grouped.setdefault(label, []).append((industry.code, f"{industry.code} {industry.name}"))
    section_titles = {e.code: e.title for e in IpcEntry.objects.filter(code__in=list(IPC_SECTIONS))}
    sections = [(s, f"{s} {section_titles.get(s, '')}".strip()) for s in IPC_SECTIONS]
    return FilterChoices(
        zones=zones,
        industries=list(grouped.items()),
        sections=sections,
        kinds=[(value, str(label)) for value, label in PatentKind.choices],
        statuses=[(value, str(label)) for value, label in LegalStatus.choices],
    )


# --------------------------------------------------------------------------------------------
# One patent
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IpcLine:
    """One IPC code of a patent and its path section → … → code, each step with its title."""

    code: str
    display: str
    is_main: bool
    path: list[tuple[str, str, str]]  # (level, code, title in the active language or "")


def patent_ipc_lines(*, patent: Patent) -> list[IpcLine]:
    codes = [row.code for row in patent.ipc_codes.all()]
    if not codes and patent.main_ipc:
        codes = [patent.main_ipc]
    titles = ipc_titles(codes)
    lines = []
    for position, code in enumerate(codes):
        try:
            ipc = parse_ipc(code)
        except IdentifierError:
            lines.append(IpcLine(code=code, display=code, is_main=position == 0, path=[]))
            continue
        path = []
        for level in IPC_LEVELS:
            step = ipc.at(level)
            if step:
                entry = titles.get(step)
                path.append((level, step, entry.title if entry else ""))
        lines.append(IpcLine(code=str(ipc), display=ipc.display, is_main=position == 0, path=path))
    return lines


@dataclass(frozen=True)
class PublicationLine:
    number: str
    kind_code: str
    meaning: str
    date: object


def patent_publication_lines(*, patent: Patent) -> list[PublicationLine]:
    """Every publication with its kind code; the patent's own number when no rows were imported."""
    meanings = {"application_published": _("申请公布"), "granted": _("授权公告")}
    rows = [(p.number, p.kind_code, p.date) for p in patent.publications.all()]
    if not rows:
        kind_code = patent.publication_number.rstrip("0123456789")[-1:]
        rows = [(patent.publication_number, kind_code, patent.publication_date)]
    lines = []
    for number, kind_code, date in rows:
        meaning = PUBLICATION_KIND_CODES.get(kind_code, (None, ""))[1]
        lines.append(PublicationLine(number, kind_code, meanings.get(meaning, ""), date))
    return lines


# --------------------------------------------------------------------------------------------
# Zones
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScopeRuleLine:
    rule_no: int
    role: str
    role_label: str
    pattern: str
    match: str
    ipc_code: str  # normalised code the pattern names, for links; "" when it is no IPC code
    title: str


def scope_rule_ipc_code(pattern: str) -> str:
    """``H04L67/`` → ``H04L67/00``; ``H04M1/72`` → ``H04M1/72``; ``H04W`` → ``H04W``."""
    try:
        return str(parse_ipc(pattern.rstrip("/")))
    except IdentifierError:
        return ""


def zone_scope(*, zone: Zone) -> list[ScopeRuleLine]:
    """The IPC scope of the zone's industry, each pattern with its title from the IPC scheme."""
    rules = list(IpcScopeRule.objects.filter(industry_id=zone.industry_id))
    codes = {rule.pk: scope_rule_ipc_code(rule.pattern) for rule in rules}
    entries = {e.code: e for e in IpcEntry.objects.filter(code__in=[c for c in codes.values() if c])}
    lines = []
    for rule in rules:
        code = codes[rule.pk]
        entry = entries.get(code)
        lines.append(
            ScopeRuleLine(
                rule_no=rule.rule_no,
                role=rule.role,
                role_label=rule.get_role_display(),
                pattern=rule.pattern,
                match=rule.match,
                ipc_code=code,
                title=entry.title if entry else "",
            )
        )
    return lines


@dataclass(frozen=True)
class ZoneStats:
    total: int
    in_force: int
    pending: int
    by_kind: list[tuple[str, str, int]]  # (value, label, count)
    by_status: list[tuple[str, str, int]]
    by_subclass: list[tuple[str, str, int]]  # (subclass, title, count), largest first
    by_year: list[tuple[int, int]]  # (application year, count), oldest first


def zone_stats(*, zone: Zone, top_subclasses: int = 15) -> ZoneStats:
    """Live counts of the zone's patents for its page and charts."""
    patents = Patent.objects.filter(zones=zone)
    totals = patents.aggregate(
        total=Count("id"),
        in_force=Count("id", filter=in_force_q()),
        pending=Count("id", filter=Q(legal_status=LegalStatus.PENDING)),
    )
    kind_counts = dict(patents.order_by().values_list("kind").annotate(n=Count("id")))
    status_counts = dict(patents.order_by().values_list("legal_status").annotate(n=Count("id")))
    subclass_rows = list(
        PatentIpc.objects.filter(patent__zones=zone)
        .exclude(subclass="")
        .values("subclass")
        .annotate(n=Count("patent", distinct=True))
        .order_by("-n", "subclass")[:top_subclasses]
    )
    subclass_titles = ipc_titles([row["subclass"] for row in subclass_rows])
    years = (
        patents.filter(application_date__isnull=False)
        .annotate(year=ExtractYear("application_date"))
        .values_list("year")
        .annotate(n=Count("id"))
        .order_by("year")
    )
    return ZoneStats(
        total=totals["total"],
        in_force=totals["in_force"],
        pending=totals["pending"],
        by_kind=[(v, str(label), kind_counts.get(v, 0)) for v, label in PatentKind.choices],
        by_status=[(v, str(label), status_counts[v]) for v, label in LegalStatus.choices if status_counts.get(v)],
        by_subclass=[
            (
                row["subclass"],
                subclass_titles[row["subclass"]].title if row["subclass"] in subclass_titles else "",
                row["n"],
            )
            for row in subclass_rows
        ],
        by_year=[(int(year), n) for year, n in years],
    )


def in_force_total() -> int:
    """Patents in force across the whole database (a patent in two zones counts once)."""
    return Patent.objects.filter(in_force_q()).count()


# --------------------------------------------------------------------------------------------
# Service agencies
# --------------------------------------------------------------------------------------------
def service_agencies(*, zone: str = "") -> QuerySet[Organisation]:
    """The 服务机构名录: organisations of kind service agency, optionally in one zone (code or slug)."""
    qs = Organisation.objects.filter(kind=Organisation.Kind.SERVICE_AGENCY).select_related("zone")
    if zone:
        qs = qs.filter(Q(zone__code=zone) | Q(zone__slug=zone))
    return qs.order_by("name")
