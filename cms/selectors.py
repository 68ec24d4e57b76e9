"""Reads the exhibition site needs beyond ``listings.catalogue.selectors``: zone statistics for charts,
scope rules with their IPC titles, IPC paths of a patent, and the service-agency directory.

Nothing here writes. Page models and views call these and only render the result.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from listings.catalogue.identifiers import IPC_LEVELS, PUBLICATION_KIND_CODES, IdentifierError, parse_ipc
from listings.catalogue.importers.sources import SourceLabel, source_labels
from listings.catalogue.models import (
    IpcEntry,
    IpcScopeRule,
    LegalStatus,
    Patent,
    PatenteeRole,
    PatentIpc,
    PatentKind,
    PatentPatentee,
    Zone,
    in_force_q,
)
from listings.catalogue.selectors import PatentFilters, industry_groups, ipc_titles, patents_filtered
from marketplace.kernel.errors import FilterError
from marketplace.models import Organisation

IPC_SECTIONS = "ABCDEFGH"


# --------------------------------------------------------------------------------------------
# Patent list filters
# --------------------------------------------------------------------------------------------
def listed_only(patents: QuerySet[Patent]) -> QuerySet[Patent]:
    """Only the patents with a public listing on the exchange (the list's "仅看已挂牌")."""
    from listings.trading.models import PUBLIC_STATUSES, ListingPatent

    listed = ListingPatent.objects.filter(listing__status__in=PUBLIC_STATUSES).values("patent_id")
    return patents.filter(pk__in=listed)


def patent_filters_from_query(params: Mapping[str, Any]) -> PatentFilters:
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
    grouped = {
        group: [(industry.code, industry.name) for industry in members] for group, members in industry_groups()
    }
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
        patents.filter(application_year__isnull=False)  # the date's year, else the application number's
        .values_list("application_year")
        .annotate(n=Count("id"))
        .order_by("application_year")
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
# Patent maps (DOMAIN §9): filing trend, top applicants, IPC distribution, legal-status mix
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class YearRow:
    year: int
    count: int
    year_only: int  # of which only the filing year is known (from the application number)


@dataclass(frozen=True)
class StatusRow:
    status: str
    label: str
    count: int
    wordings: list[tuple[str, int]]  # the sources' own wording (专利权转移 …) and its count


@dataclass(frozen=True)
class PatentMap:
    total: int
    by_year: list[YearRow]
    year_unknown: int
    top_applicants: list[tuple[str, int]]
    by_subclass: list[tuple[str, str, int]]  # (subclass, title, count)
    by_status: list[StatusRow]

    @property
    def year_only(self) -> int:
        return sum(row.year_only for row in self.by_year)

    def charts(self) -> dict[str, dict]:
        """The chart data the page hands to ECharts (json_script)."""
        return {
            "year": {"labels": [str(r.year) for r in self.by_year], "counts": [r.count for r in self.by_year]},
            "applicants": {
                "labels": [name for name, _n in self.top_applicants], "titles": ["" for _ in self.top_applicants],
                "counts": [n for _name, n in self.top_applicants],
            },
            "subclass": {
                "labels": [code for code, _t, _n in self.by_subclass], "titles": [t for _c, t, _n in self.by_subclass],
                "counts": [n for _c, _t, n in self.by_subclass],
            },
            "status": {"labels": [r.label for r in self.by_status], "keys": [r.status for r in self.by_status],
                       "counts": [r.count for r in self.by_status]},
        }


def patent_map(*, filters: PatentFilters | None = None, top: int = 15) -> PatentMap:
    """The four patent-map charts for the patents ``filters`` select: one query per chart (plus IPC titles)."""
    patents = patents_filtered(filters).order_by()
    selected = patents.values("pk")
    year_rows = list(
        patents.values_list("application_year")
        .annotate(n=Count("id"), years_only=Count("id", filter=Q(application_date__isnull=True)))
        .order_by("application_year")
    )
    applicants = list(
        PatentPatentee.objects.filter(patent__in=selected, role=PatenteeRole.APPLICANT)
        .values_list("patentee__name")
        .annotate(n=Count("patent", distinct=True))
        .order_by("-n", "patentee__name")[:top]
    )
    subclasses = list(
        PatentIpc.objects.filter(patent__in=selected)
        .exclude(subclass="")
        .values_list("subclass")
        .annotate(n=Count("patent", distinct=True))
        .order_by("-n", "subclass")[:top]
    )
    titles = ipc_titles([code for code, _n in subclasses])
    status_rows = list(
        patents.values_list("legal_status", "legal_status_text").annotate(n=Count("id")).order_by("legal_status")
    )
    labels = dict(LegalStatus.choices)
    statuses: dict[str, list] = {}
    for status, wording, n in status_rows:
        entry = statuses.setdefault(status, [0, []])
        entry[0] += n
        if wording:
            entry[1].append((wording, n))
    by_status = sorted(
        (StatusRow(s, str(labels.get(s, s)), n, sorted(w, key=lambda x: -x[1])) for s, (n, w) in statuses.items()),
        key=lambda row: -row.count,
    )
    by_year = [YearRow(int(y), n, only) for y, n, only in year_rows if y is not None]
    return PatentMap(
        total=sum(n for _y, n, _o in year_rows),
        by_year=by_year,
        year_unknown=sum(n for y, n, _o in year_rows if y is None),
        top_applicants=[(name, n) for name, n in applicants],
        by_subclass=[(code, titles[code].title if code in titles else "", n) for code, n in subclasses],
        by_status=by_status,
    )


def patent_sources(*, patent: Patent) -> list[SourceLabel]:
    """Where the patent's data came from, as human labels with their licences (not file names)."""
    keys = list(patent.sources or ([patent.source] if patent.source else []))
    return source_labels(keys, english=(get_language() or "").lower().startswith("en"))


# --------------------------------------------------------------------------------------------
# Service agencies
# --------------------------------------------------------------------------------------------
def service_agencies(*, zone: str = "") -> QuerySet[Organisation]:
    """The 服务机构名录: organisations of kind service agency, optionally in one zone (code or slug)."""
    qs = Organisation.objects.filter(kind=Organisation.Kind.SERVICE_AGENCY).select_related("zone")
    if zone:
        qs = qs.filter(Q(zone__code=zone) | Q(zone__slug=zone))
    return qs.order_by("name")
