"""The search benchmark's ORM baseline: the synthetic corpus as ``Patent`` rows in a throw-away SQLite database,
and what a page would do with the Django ORM alone.

The rows are written with ``executemany`` in batches (the column values prepared once from the model's own
fields; no model object per row), so a million-patent baseline costs minutes, not an hour. The database is a
separate alias pointing at a temporary file: the configured database is never touched.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import connections, transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractYear
from django.utils import timezone

from search.interface import PatentDocument, SearchQuery

BASELINE_ALIAS = "bench_search_baseline"


class BaselineDatabase:
    """The throw-away database and its batched writer."""

    def __init__(self, path: Path):
        from listings.catalogue.models import Industry, Patent, PatentIpc, Zone

        connections.databases[BASELINE_ALIAS] = {
            **connections.databases["default"],
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {},
            "TEST": {},
        }
        self.connection = connections[BASELINE_ALIAS]
        with self.connection.schema_editor() as editor:
            for model in (Industry, Zone, Patent, PatentIpc):
                editor.create_model(model)
        self.connection.ensure_connection()
        raw = self.connection.connection
        raw.execute("PRAGMA synchronous=OFF")  # a throw-away file: losing it on a crash costs nothing
        raw.execute("PRAGMA journal_mode=MEMORY")
        self._zones: dict[str, int] = {}
        self._industries: dict[str, int] = {}
        self._patent = _InsertSpec(Patent, self.connection)
        self._ipc = _InsertSpec(PatentIpc, self.connection, ("id",))
        self._zone_link = Patent.zones.through._meta.db_table
        self._industry_link = Patent.industries.through._meta.db_table

    def _zone_ids(self, codes: Iterable[str]) -> None:
        from listings.catalogue.models import Industry, Zone

        for code in sorted(set(codes) - self._zones.keys()):
            industry = Industry.objects.using(BASELINE_ALIAS).create(code=f"IND-{code}", name_zh=f"产业 {code}")
            zone = Zone.objects.using(BASELINE_ALIAS).create(
                code=code, slug=code.lower(), name_zh=f"实验区 {code}", industry=industry
            )
            self._zones[code], self._industries[code] = zone.pk, industry.pk

    def add(self, documents: list[PatentDocument]) -> None:
        self._zone_ids(z for d in documents for z in d.zones)
        patents = [
            self._patent.row(
                id=d.id, kind=d.kind, publication_number=d.publication_number, title=d.title,
                abstract=d.abstract, claims=d.claims, applicants=list(d.applicants),
                main_ipc=d.ipc_codes[0] if d.ipc_codes else "", application_date=d.application_date,
                legal_status=d.legal_status,
            )
            for d in documents
        ]
        ipc_rows = [
            self._ipc.row(patent_id=d.id, position=i, is_main=i == 0, **_ipc_columns(code))
            for d in documents
            for i, code in enumerate(d.ipc_codes)
        ]
        with transaction.atomic(using=BASELINE_ALIAS):
            raw = self.connection.connection
            raw.executemany(self._patent.sql, patents)
            raw.executemany(self._ipc.sql, ipc_rows)
            raw.executemany(
                f"INSERT INTO {self._zone_link} (patent_id, zone_id) VALUES (?, ?)",
                [(d.id, self._zones[z]) for d in documents for z in d.zones],
            )
            raw.executemany(
                f"INSERT INTO {self._industry_link} (patent_id, industry_id) VALUES (?, ?)",
                [(d.id, self._industries[z]) for d in documents for z in d.zones],
            )

    def close(self) -> None:
        self.connection.close()


class _InsertSpec:
    """An INSERT for a model's concrete columns, with every column's default prepared once."""

    def __init__(self, model, connection, skip: tuple[str, ...] = ()):
        now = timezone.now()
        self.fields = [f for f in model._meta.concrete_fields if f.attname not in skip]
        self.connection = connection
        self.defaults = {}
        for f in self.fields:
            value: Any
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default():
                value = f.get_default()
            elif f.null or f.primary_key or f.get_internal_type() not in ("CharField", "TextField", "SlugField"):
                value = None
            else:
                value = ""
            self.defaults[f.attname] = None if value is None else f.get_db_prep_save(value, connection)
        self.by_name = {f.attname: f for f in self.fields}
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        self.sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({', '.join('?' * len(self.fields))})"

    def row(self, **values) -> tuple:
        prepared = dict(self.defaults)
        for name, value in values.items():
            field = self.by_name[name]
            prepared[name] = value if isinstance(value, str | int) else field.get_db_prep_save(value, self.connection)
        return tuple(_plain(prepared[f.attname]) for f in self.fields)


def _plain(value):
    """What sqlite3 accepts (Django prepares dates and JSON as text for SQLite already)."""
    if value is None or isinstance(value, str | int | float | bytes):
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


@functools.lru_cache(maxsize=200_000)
def _ipc_columns_cached(code: str) -> tuple[tuple[str, str], ...]:
    from listings.catalogue.models import Patent, PatentIpc

    ipc = PatentIpc.from_code(Patent(id=0), code, 0)
    return tuple((name, getattr(ipc, name)) for name in ("code", "section", "ipc_class", "subclass", "main_group", "subgroup"))


def _ipc_columns(code: str) -> dict[str, str]:
    return dict(_ipc_columns_cached(code))


def baseline_search(query: SearchQuery) -> None:
    """What a page would do with the ORM alone: icontains per word, filters, a page, the count, facets."""
    from listings.catalogue.identifiers import parse_ipc
    from listings.catalogue.models import Patent, PatentIpc

    qs = Patent.objects.using(BASELINE_ALIAS).all()
    for word in query.text.split():
        qs = qs.filter(Q(title__icontains=word) | Q(abstract__icontains=word) | Q(claims__icontains=word))
    f = query.filters
    if f.ipc:
        code = parse_ipc(f.ipc)
        column = PatentIpc.LEVEL_FIELDS[code.level]
        qs = qs.filter(pk__in=PatentIpc.objects.using(BASELINE_ALIAS).filter(**{column: code.at(code.level)}).values("patent"))
    if f.zone:
        qs = qs.filter(zones__code=f.zone)
    if f.legal_status:
        qs = qs.filter(legal_status=f.legal_status)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.year_from:
        qs = qs.filter(application_date__gte=dt.date(f.year_from, 1, 1))
    if f.year_to:
        qs = qs.filter(application_date__lte=dt.date(f.year_to, 12, 31))
    list(qs.order_by("-application_date", "pk")[:20])
    qs.count()
    ids = qs.values("pk")
    ipc = PatentIpc.objects.using(BASELINE_ALIAS).filter(patent__in=ids)
    for column in ("section", "ipc_class", "subclass", "main_group"):
        list(ipc.values(column).annotate(n=Count("patent", distinct=True)))
    list(qs.values("zones__code").annotate(n=Count("pk")))
    list(qs.values("industries__code").annotate(n=Count("pk")))
    list(qs.values("legal_status").annotate(n=Count("pk")))
    list(qs.values("kind").annotate(n=Count("pk")))
    list(qs.annotate(y=ExtractYear("application_date")).values("y").annotate(n=Count("pk")))
    applicants: dict[str, int] = {}
    for names in qs.values_list("applicants", flat=True):
        for name in names or ():
            applicants[name] = applicants.get(name, 0) + 1
