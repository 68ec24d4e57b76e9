"""Creating and updating patents in the zone database.

One code path serves the single-record service (``patent_upsert``, used by forms and the API) and
the bulk importer (``patents_upsert_batch``), so both decide "created / updated / unchanged" the
same way. Input arrives as a validated ``PatentRecord``: validation lives in the importer and the
identifier parsers, never here, so nothing half-checked reaches the database.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from listings.catalogue.identifiers import parse_ipc
from listings.catalogue.models import Patent, Patentee, PatenteeRole, PatentIpc, PatentPatentee, PatentPublication
from listings.catalogue.names import display_name, normalise_name

#: Patent fields a record may carry; a record only touches the fields its source supplied.
SCALAR_FIELDS = (
    "kind",
    "title",
    "abstract",
    "claims",
    "applicants",
    "inventors",
    "application_date",
    "publication_date",
    "grant_date",
    "legal_status",
    "legal_status_text",
    "locarno_classes",
)
#: fields derived on every write (``Patent.derive_term``), never supplied
DERIVED_FIELDS = ("application_year", "expiry_date", "expiry_year")


@dataclass(frozen=True)
class Publication:
    number: str
    kind_code: str
    date: dt.date | None = None


@dataclass(frozen=True)
class PatentRecord:
    """One validated patent as a source describes it.

    ``supplied`` names the fields the source actually had (a file without an abstract column must
    not blank the abstract another file filled in). ``ipc_codes`` are normalised, main code first.
    ``ipc_coarse`` marks codes known only to subclass level (the real title file): such a list
    does not replace finer codes already stored when every coarse code is an ancestor of them.
    """

    publications: tuple[Publication, ...]
    kind: str
    title: str
    application_number: str | None = None
    abstract: str = ""
    claims: str = ""
    applicants: tuple[str, ...] = ()
    inventors: tuple[str, ...] = ()
    ipc_codes: tuple[str, ...] = ()
    ipc_coarse: bool = False
    application_date: dt.date | None = None
    publication_date: dt.date | None = None
    grant_date: dt.date | None = None
    legal_status: str = "pending"
    legal_status_text: str = ""
    locarno_classes: tuple[dict, ...] = ()
    supplied: frozenset[str] = field(default_factory=frozenset)

    @property
    def publication_number(self) -> str:
        return self.publications[0].number

    @property
    def identity(self) -> str:
        return self.application_number or self.publication_number

    def value(self, name: str):
        value = getattr(self, name)
        return list(value) if isinstance(value, tuple) else value


def patentees_sync(*, applicants: dict[int, list[str]]) -> None:
    """Make each patent's applicant links follow its applicant names, in order (recorded owners are left alone).

    Names are matched on their normalised form, so ``科大讯飞(北京)有限公司`` and ``科大讯飞（北京）有限公司``
    are one patentee. Called by the upsert inside its transaction.
    """
    if not applicants:
        return
    wanted: dict[str, str] = {}
    for names in applicants.values():
        for name in names:
            shown = display_name(str(name))
            wanted.setdefault(normalise_name(shown), shown)
    wanted.pop("", None)
    ids = dict(Patentee.objects.filter(normalised_name__in=list(wanted)).values_list("normalised_name", "pk"))
    missing = [Patentee(name=wanted[key], normalised_name=key) for key in wanted if key not in ids]
    if missing:
        Patentee.objects.bulk_create(missing, batch_size=1000, ignore_conflicts=True)
        ids.update(Patentee.objects.filter(normalised_name__in=[p.normalised_name for p in missing]).values_list(
            "normalised_name", "pk"
        ))
    PatentPatentee.objects.filter(patent_id__in=list(applicants), role=PatenteeRole.APPLICANT).delete()
    links = []
    for patent_id, names in applicants.items():
        seen: set[int] = set()
        for position, name in enumerate(names):
            pk = ids.get(normalise_name(display_name(str(name))))
            if pk is None or pk in seen:
                continue
            seen.add(pk)
            links.append(PatentPatentee(patent_id=patent_id, patentee_id=pk, position=position))
    PatentPatentee.objects.bulk_create(links, batch_size=2000)


@dataclass
class BatchResult:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)

    @property
    def changed(self) -> list[int]:
        return self.created + self.updated


def _codes_covered(coarse: list[str], stored: list[str]) -> bool:
    """True when every coarse code is the stored code itself or one of its ancestors."""
    return bool(stored) and all(any(s.startswith(c) for s in stored) for c in coarse)


def _ipc_rows(patent_id: int, codes: tuple[str, ...]) -> list[PatentIpc]:
    patent = Patent(pk=patent_id)
    return [PatentIpc.from_code(patent, code, position) for position, code in enumerate(codes)]


def _main_ipc(codes) -> str:
    return str(parse_ipc(codes[0])) if codes else ""


class PatentConflict(ValueError):
    """A record names a publication that already belongs to a patent with another application number."""


def _find_existing(records: list[PatentRecord]) -> dict[str, Patent]:
    """Existing patents by record identity: application number first, else any publication number."""
    app_numbers = [r.application_number for r in records if r.application_number]
    pub_numbers = [p.number for r in records for p in r.publications]
    by_app = {p.application_number: p for p in Patent.objects.filter(application_number__in=app_numbers)}
    by_pub: dict[str, Patent] = {}
    for pub in PatentPublication.objects.filter(number__in=pub_numbers).select_related("patent"):
        by_pub[pub.number] = pub.patent
    for existing in Patent.objects.filter(publication_number__in=pub_numbers):
        by_pub.setdefault(existing.publication_number, existing)
    found: dict[str, Patent] = {}
    for record in records:
        patent = by_app.get(record.application_number) if record.application_number else None
        if patent is None:
            patent = next((by_pub[p.number] for p in record.publications if p.number in by_pub), None)
            if (
                patent is not None
                and record.application_number
                and patent.application_number
                and patent.application_number != record.application_number
            ):
                raise PatentConflict(
                    f"公开号 {record.publication_number} 已属于申请号 {patent.application_number} 的专利，"
                    f"与 {record.application_number} 冲突 / publication {record.publication_number} already belongs "
                    f"to application {patent.application_number}, not {record.application_number}"
                )
        if patent is not None:
            found[record.identity] = patent
    return found


@transaction.atomic
def patents_upsert_batch(*, records: list[PatentRecord], source: str, is_demo: bool = False) -> BatchResult:
    """Create or update these patents in one transaction, with their publications and IPC rows.

    Bulk statements keep a 10,000-row file to a few seconds; ``updated_at`` and ``expiry_date`` are
    set here by hand because bulk writes skip ``save()``. ``source`` is kept from the first import:
    it records where a patent came from, and a second file confirming the same data is no change.
    """
    result = BatchResult()
    if not records:
        return result
    existing = _find_existing(records)
    stored_codes: dict[int, list[str]] = {}
    stored_pubs: dict[int, set[str]] = {}
    if existing:
        ids = [p.pk for p in existing.values()]
        for pid, code in PatentIpc.objects.filter(patent_id__in=ids).order_by("position").values_list(
            "patent_id", "code"
        ):
            stored_codes.setdefault(pid, []).append(code)
        for pid, number in PatentPublication.objects.filter(patent_id__in=ids).values_list("patent_id", "number"):
            stored_pubs.setdefault(pid, set()).add(number)

    now = timezone.now()
    to_create: list[tuple[Patent, PatentRecord]] = []
    to_update: list[Patent] = []
    update_fields: set[str] = set()
    ipc_replace: dict[int, tuple[str, ...]] = {}
    pubs_add: list[PatentPublication] = []
    applicants_sync: dict[int, list[str]] = {}
    status_changes: list[tuple[Patent, str, str]] = []  # (patent, new status, wording): through the register

    for record in records:
        patent = existing.get(record.identity)
        if patent is None:
            patent = Patent(
                application_number=record.application_number,
                publication_number=record.publication_number,
                main_ipc=_main_ipc(record.ipc_codes),
                source=source,
                sources=[source],
                is_demo=is_demo,
                created_at=now,
                updated_at=now,
            )
            for name in SCALAR_FIELDS:
                setattr(patent, name, record.value(name))
            patent.derive_term()
            to_create.append((patent, record))
            continue

        dirty: set[str] = set()
        if record.application_number and patent.application_number != record.application_number:
            patent.application_number = record.application_number
            dirty.add("application_number")
        for name in SCALAR_FIELDS:
            if name not in record.supplied:
                continue
            new = record.value(name)
            if getattr(patent, name) == new:
                continue
            if name == "legal_status":
                # a status change is the register's business: it stops trading when the patent leaves force
                status_changes.append((patent, new, record.legal_status_text or str(new)))
                dirty.add("status")
                continue
            setattr(patent, name, new)
            dirty.add(name)
            if name == "applicants":
                applicants_sync[patent.pk] = list(record.applicants)
        codes = stored_codes.get(patent.pk, [])
        if "ipc_codes" in record.supplied and list(record.ipc_codes) != codes:
            if not (record.ipc_coarse and _codes_covered(list(record.ipc_codes), codes)):
                ipc_replace[patent.pk] = record.ipc_codes
                main = _main_ipc(record.ipc_codes)
                if patent.main_ipc != main:
                    patent.main_ipc = main
                    dirty.add("main_ipc")
                dirty.add("ipc_codes")
        have = stored_pubs.get(patent.pk, set())
        new_pubs = [p for p in record.publications if p.number not in have]
        if new_pubs:
            pubs_add.extend(
                PatentPublication(patent_id=patent.pk, number=p.number, kind_code=p.kind_code, date=p.date)
                for p in new_pubs
            )
            dirty.add("publications")
        if dirty and source not in (patent.sources or []):
            # sources are the files that contributed data; one that only confirms what is stored adds nothing
            patent.sources = [*(patent.sources or []), source]
            dirty.add("sources")
        if dirty:
            before = tuple(getattr(patent, name) for name in DERIVED_FIELDS)
            patent.derive_term()
            dirty |= {name for name, old in zip(DERIVED_FIELDS, before) if getattr(patent, name) != old}
            patent.updated_at = now
            update_fields |= dirty - {"ipc_codes", "publications", "status"}
            update_fields.add("updated_at")
            to_update.append(patent)
            result.updated.append(patent.pk)
        else:
            result.unchanged.append(patent.pk)

    if to_create:
        created = Patent.objects.bulk_create([p for p, _ in to_create], batch_size=1000)
        if any(p.pk is None for p in created):  # a backend without RETURNING
            by_pub = dict(
                Patent.objects.filter(publication_number__in=[p.publication_number for p in created]).values_list(
                    "publication_number", "pk"
                )
            )
            for p in created:
                p.pk = by_pub[p.publication_number]
        for patent, record in to_create:
            result.created.append(patent.pk)
            if record.applicants:
                applicants_sync[patent.pk] = list(record.applicants)
            ipc_replace[patent.pk] = record.ipc_codes
            pubs_add.extend(
                PatentPublication(patent_id=patent.pk, number=p.number, kind_code=p.kind_code, date=p.date)
                for p in record.publications
            )
    if to_update:
        Patent.objects.bulk_update(to_update, sorted(update_fields), batch_size=1000)
    if ipc_replace:
        PatentIpc.objects.filter(patent_id__in=list(ipc_replace)).delete()
        rows = [row for pid, codes in ipc_replace.items() for row in _ipc_rows(pid, codes)]
        PatentIpc.objects.bulk_create(rows, batch_size=2000)
    if pubs_add:
        PatentPublication.objects.bulk_create(pubs_add, batch_size=2000)
    patentees_sync(applicants=applicants_sync)
    if status_changes:
        from listings.catalogue.services.register import patent_legal_status_change

        for patent, status, wording in status_changes:
            patent_legal_status_change(
                patent=patent, status=status, by=None, reason=f"数据源 {source} 的最新法律状态：{wording}"
            )
    return result


@dataclass(frozen=True)
class UpsertResult:
    patent: Patent
    outcome: str  # "created" | "updated" | "unchanged"


@transaction.atomic
def patent_upsert(*, record: PatentRecord, source: str, is_demo: bool = False) -> UpsertResult:
    """Create or update one patent, classify it and queue its re-indexing after commit."""
    from listings.catalogue.services.classification import patents_classify
    from listings.catalogue.signals import announce_patents_changed

    result = patents_upsert_batch(records=[record], source=source, is_demo=is_demo)
    ids = result.created or result.updated or result.unchanged
    moved = patents_classify(patent_ids=ids)
    outcome = "created" if result.created else "updated" if result.updated else "unchanged"
    if outcome == "unchanged" and moved:
        outcome = "updated"
    if outcome != "unchanged":
        announce_patents_changed(ids)
    return UpsertResult(patent=Patent.objects.get(pk=ids[0]), outcome=outcome)
