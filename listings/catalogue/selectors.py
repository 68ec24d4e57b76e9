"""Reads of the zone patent database. Views and the API call these; nothing here writes."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from listings.catalogue.identifiers import IdentifierError, parse_ipc
from listings.catalogue.models import (
    DealType,
    Industry,
    IpcEntry,
    LegalStatus,
    LicenceKind,
    Patent,
    Patentee,
    PatenteeRole,
    PatentIpc,
    PatentKind,
    PatentPatentee,
    Zone,
    in_force_q,
)
from listings.catalogue.names import normalise_name
from marketplace.kernel.errors import FilterError
from marketplace.models import Organisation

YEAR_MIN, YEAR_MAX = 1985, 2100




@dataclass(frozen=True)
class PatentFilters:
    zone: str = ""
    industry: str = ""
    ipc: str = ""
    kind: str = ""
    status: str = ""
    applicant: str = ""
    year_from: int | None = None
    year_to: int | None = None
    errors: tuple[FilterError, ...] = field(default=(), compare=False)

    @classmethod
    def from_query(cls, params) -> PatentFilters:
        """Parse query parameters; bad values are kept as ``errors`` and ignored, never raised as 500s."""
        errors: list[FilterError] = []
        values: dict[str, Any] = {}
        zone = (params.get("zone") or "").strip()
        if zone and not Zone.objects.filter(code=zone).exists() and not Zone.objects.filter(slug=zone).exists():
            errors.append(FilterError("zone", f"未知实验区 / unknown zone {zone!r}"))
        values["zone"] = zone
        industry = (params.get("industry") or "").strip()
        if industry and not Industry.objects.filter(code=industry).exists():
            errors.append(FilterError("industry", f"未知产业 / unknown industry {industry!r}"))
        values["industry"] = industry
        ipc = (params.get("ipc") or params.get("section") or "").strip()
        if ipc:
            try:
                ipc = str(parse_ipc(ipc))
            except IdentifierError as exc:
                errors.append(FilterError("ipc", str(exc)))
        values["ipc"] = ipc
        kind = (params.get("kind") or "").strip()
        if kind and kind not in PatentKind.values:
            errors.append(FilterError("kind", f"未知专利类型 / unknown kind {kind!r}"))
        values["kind"] = kind
        status = (params.get("status") or "").strip()
        if status and status not in LegalStatus.values:
            errors.append(FilterError("status", f"未知法律状态 / unknown legal status {status!r}"))
        values["status"] = status
        values["applicant"] = (params.get("applicant") or "").strip()[:300]
        for name in ("year_from", "year_to"):
            raw = (params.get(name) or "").strip()
            values[name] = None
            if raw:
                if raw.isdigit() and YEAR_MIN <= int(raw) <= YEAR_MAX:
                    values[name] = int(raw)
                else:
                    errors.append(FilterError(name, f"申请年份应为 {YEAR_MIN}–{YEAR_MAX} 的四位数字 / filing year must be "
                                                    f"a year {YEAR_MIN}–{YEAR_MAX}, got {raw!r}"))
        if values["year_from"] and values["year_to"] and values["year_from"] > values["year_to"]:
            errors.append(FilterError("year_to", "截止年份早于起始年份 / year_to is before year_from"))
        return cls(**values, errors=tuple(errors))

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters (for links between the list and the patent map)."""
        pairs = {
            "zone": self.zone, "industry": self.industry, "ipc": self.ipc, "kind": self.kind, "status": self.status,
            "applicant": self.applicant, "year_from": self.year_from or "", "year_to": self.year_to or "",
        }
        return {k: str(v) for k, v in pairs.items() if v}

    @property
    def is_valid(self) -> bool:
        return not self.errors


def _ipc_filter(qs: QuerySet, code: str) -> QuerySet:
    ipc = parse_ipc(code)
    field_name = PatentIpc.LEVEL_FIELDS[ipc.level]
    return qs.filter(**{f"ipc_codes__{field_name}": str(ipc) if ipc.level != "main_group" else ipc.at("main_group")})


def patents_filtered(filters: PatentFilters | None) -> QuerySet[Patent]:
    """The patents ``filters`` select, without prefetches: the list and the patent map share it."""
    qs = Patent.objects.all()
    if filters is None:
        return qs
    if not filters.is_valid:
        return qs.none()
    if filters.zone:
        qs = qs.filter(zones__code=filters.zone) | qs.filter(zones__slug=filters.zone)
    if filters.industry:
        qs = qs.filter(industries__code=filters.industry)
    if filters.ipc:
        qs = _ipc_filter(qs, filters.ipc)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(legal_status=filters.status)
    if filters.applicant:
        key = normalise_name(filters.applicant)
        exact = Patentee.objects.filter(normalised_name=key)
        patentees = exact if exact.exists() else Patentee.objects.filter(normalised_name__contains=key)
        qs = qs.filter(patentee_links__patentee__in=patentees)
    # the filing year: from the date when known, else from the application number (application_year holds both)
    if filters.year_from:
        qs = qs.filter(application_year__gte=filters.year_from)
    if filters.year_to:
        qs = qs.filter(application_year__lte=filters.year_to)
    if filters.zone or filters.industry or filters.ipc or filters.applicant:
        qs = Patent.objects.filter(pk__in=qs.values("pk"))  # one row per patent, whatever the joins
    return qs


def patent_list(*, filters: PatentFilters | None = None) -> QuerySet[Patent]:
    """Patents matching ``filters``, newest filing year first; an invalid filter yields an empty result, never an error."""
    return patents_filtered(filters).prefetch_related(
        Prefetch("ipc_codes", queryset=PatentIpc.objects.order_by("position")),
        Prefetch("patentee_links", queryset=PatentPatentee.objects.select_related("patentee").order_by("role", "position")),
        "zones",
        "industries",
    )


def patent_get(*, publication_number: str) -> Patent:
    return (
        Patent.objects.prefetch_related(
            "ipc_codes", "publications", "zones", "industries", "holders",
            Prefetch("patentee_links", queryset=PatentPatentee.objects.select_related("patentee").order_by("role", "position")),
        )
        .get(publication_number=publication_number.upper())
    )


def patentee_choices(*, limit: int = 200) -> list[tuple[str, int]]:
    """Patentees with the most patents (name, count): the suggestions of the applicant filter."""
    return list(
        Patentee.objects.annotate(n=Count("patent_links", filter=Q(patent_links__role=PatenteeRole.APPLICANT)))
        .filter(n__gt=0)
        .order_by("-n", "name")
        .values_list("name", "n")[:limit]
    )


def ipc_titles(codes: Iterable[str]) -> dict[str, IpcEntry]:
    """IPC entries for the given codes and all their ancestors, keyed by code."""
    wanted: set[str] = set()
    for code in codes:
        try:
            wanted.update(v for v in parse_ipc(code).levels.values() if v)
        except IdentifierError:
            continue
    return {entry.code: entry for entry in IpcEntry.objects.filter(code__in=wanted)}


def ipc_path(code: str) -> list[IpcEntry | str]:
    """The chain section → … → code with titles where the scheme has them."""
    ipc = parse_ipc(code)
    levels = [v for v in ipc.levels.values() if v]
    titles = {e.code: e for e in IpcEntry.objects.filter(code__in=levels)}
    return [titles.get(level, level) for level in levels]


def zone_counts() -> list[Zone]:
    """Every zone with live counts of its patents (and those in force)."""

    return list(
        Zone.objects.select_related("industry").annotate(
            patent_count=Count("patents", distinct=True),
            in_force_count=Count("patents", filter=in_force_q(prefix="patents__"), distinct=True),
        )
    )


def database_totals() -> dict[str, int]:
    return {
        "patents": Patent.objects.count(),
        "ipc_entries": IpcEntry.objects.count(),
        "zones": Zone.objects.count(),
        "demo_patents": Patent.objects.filter(is_demo=True).count(),
    }


def industry_groups() -> list[tuple[str, list[Industry]]]:
    """Every industry, grouped for a picker: the zones' leading industries first, then each SEI 2021 category, each
    group and its members labelled in the active language."""
    groups: dict[str, list[Industry]] = {}
    for industry in Industry.objects.order_by("scheme", "category", "code"):
        key = "0" if industry.scheme == Industry.Scheme.ZONE else f"1 {industry.category}"
        groups.setdefault(key, []).append(industry)
    return [(members[0].category_name, members) for _key, members in sorted(groups.items(), key=_group_order)]


def _group_order(item: tuple[str, list[Industry]]) -> tuple[str, tuple[int, ...]]:
    key = item[0]
    number = key.split(" ", 2)[1] if " " in key else ""
    return (key[:1], tuple(int(part) for part in number.split(".") if part.isdigit()))


def filter_choices() -> dict:
    return {
        "deal_types": DealType.choices,
        "licence_kinds": LicenceKind.choices,
        "industry_groups": industry_groups(),
        "zones": Zone.objects.all(),
    }


def ipc_param(params: Mapping[str, Any], errors: list[FilterError]) -> str:
    raw = (params.get("ipc") or "").strip()
    if not raw:
        return ""
    try:
        return str(parse_ipc(raw))
    except IdentifierError as exc:
        errors.append(FilterError("ipc", str(exc)))
        return ""
def patentee_candidates(*, patentee: Patentee):
    """Registered organisations that show they are this patentee: the same name (either bracket width) or credit code."""
    from marketplace.models import Organisation

    spellings = {patentee.name, patentee.name.replace("（", "(").replace("）", ")")}
    match = Q(name__in=spellings)
    if patentee.uscc:
        match |= Q(uscc=patentee.uscc)
    return Organisation.objects.filter(match).order_by("name")


# --------------------------------------------------------------------------------------------
# IPC lookup (the pickers of the demand form and the boards)
# --------------------------------------------------------------------------------------------
IPC_LOOKUP_MAX_CHARS = 50
IPC_LOOKUP_MAX_WORDS = 5
IPC_LOOKUP_MAX_RESULTS = 30
#: a code or the start of one: ``H``, ``H04``, ``h04w``, ``H04W 4``, ``H04W4/0``
_IPC_PREFIX_RE = re.compile(r"^[A-H](\d{1,2}([A-Z](\d{1,4}(/\d{0,6})?)?)?)?$")
_LEVEL_RANK = {level: rank for rank, level in enumerate(IpcEntry.Level.values)}


def ipc_lookup(*, text: str, limit: int = 20) -> list[IpcEntry]:
    """IPC entries for a picker: by code prefix (``H04W 4/0``) or by words in the Chinese or English title (every word
    must occur), broader levels first. Bad input is a ``FilterError`` on ``q``: empty, or over the length limits."""
    text = (text or "").strip()
    if not text:
        raise FilterError("q", "请输入分类号或关键词 / type a code or words", code="required")
    if any(ord(ch) < 32 for ch in text):  # NUL and other control characters: no title has them, Postgres refuses NUL
        raise FilterError("q", "含有控制字符 / contains control characters", code="invalid")
    if len(text) > IPC_LOOKUP_MAX_CHARS:
        raise FilterError("q", f"过长（最多 {IPC_LOOKUP_MAX_CHARS} 个字符）/ too long (at most {IPC_LOOKUP_MAX_CHARS} characters)",
                          code="too_long")
    if not 1 <= limit <= IPC_LOOKUP_MAX_RESULTS:
        raise FilterError("limit", f"应在 1–{IPC_LOOKUP_MAX_RESULTS} 之间 / must be 1–{IPC_LOOKUP_MAX_RESULTS}", code="out_of_range")
    compact = re.sub(r"\s+", "", text).upper()
    qs = IpcEntry.objects.only("code", "level", "title_zh", "title_en")
    if _IPC_PREFIX_RE.match(compact):
        if re.fullmatch(r"[A-H]\d{1,2}[A-Z]\d{1,4}", compact):
            # "H04W4" is main group 4 and its subgroups (H04W4/…), not H04W40 or H04W41
            found = qs.filter(Q(code=f"{compact}/00") | Q(code__startswith=f"{compact}/"))
        else:
            found = qs.filter(code__startswith=compact)
    else:
        words = text.split()
        if len(words) > IPC_LOOKUP_MAX_WORDS:
            raise FilterError("q", f"关键词最多 {IPC_LOOKUP_MAX_WORDS} 个 / at most {IPC_LOOKUP_MAX_WORDS} words", code="too_many")
        found = qs
        for word in words:
            found = found.filter(Q(title_zh__icontains=word) | Q(title_en__icontains=word))
    rank = Case(*(When(level=level, then=Value(r)) for level, r in _LEVEL_RANK.items()), default=Value(9),
                output_field=IntegerField())
    return list(found.annotate(level_rank=rank).order_by("level_rank", "code")[:limit])  # broader levels first


@dataclass(frozen=True)
class PatenteeMatch:
    """A verified organisation and a named patentee not yet linked to anyone, with the same name or credit code."""

    organisation: Organisation
    patentee: Patentee
    patents: int


def patentee_links_to_confirm() -> list[PatenteeMatch]:
    """For the review page: the patentees an operator may confirm as a verified member organisation
    (``patentee_link_confirm``), so that a newly verified holder lists its own patents without an authorisation.
    Oldest organisation first."""
    organisations = list(
        Organisation.objects.filter(is_verified=True, memberships__isnull=False).distinct().order_by("verified_at", "pk")
    )
    if not organisations:
        return []
    by_name = {normalise_name(o.name): o for o in organisations}
    by_code = {o.uscc: o for o in organisations if o.uscc}
    candidates = (
        Patentee.objects.filter(organisation__isnull=True)
        .filter(Q(normalised_name__in=by_name) | Q(uscc__in=by_code))
        .annotate(patent_count=Count("patent_links__patent", distinct=True))
        .order_by("name")
    )
    order = {o.pk: i for i, o in enumerate(organisations)}
    matches = [PatenteeMatch(organisation=by_name.get(p.normalised_name) or by_code[p.uscc or ""], patentee=p,
                             patents=p.patent_count) for p in candidates]
    return sorted(matches, key=lambda m: (order[m.organisation.pk], m.patentee.name))
