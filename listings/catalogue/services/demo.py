"""A synthetic demo set of patents for machines without ../shared/data.

The project generates these itself (nothing is copied from anywhere): every record is flagged
``is_demo=True`` with ``source='demo'`` so that every page can say it shows demo data. Identifiers
are valid (application numbers carry correct check digits; publication numbers start with 9, a
range CNIPA has not used, so a demo number can never be mistaken for a real one), dates are
consistent, and each patent's IPC codes lie inside one zone's scope so the zone pages have content.
Generation is deterministic for a given seed, so running it twice changes nothing.
"""
from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from listings.catalogue.fixtures_data import zone_directory as directory
from listings.catalogue.identifiers import application_check_digit
from listings.catalogue.models import LegalStatus, Patent, PatentKind, compute_expiry
from listings.catalogue.services.classification import patents_classify
from listings.catalogue.services.patents import BatchResult, PatentRecord, Publication, patents_upsert_batch

DEMO_SOURCE = "demo"


def _application_number(year: int, kind_digit: str, index: int) -> str:
    digits = f"{year}{kind_digit}9{index:06d}"
    return f"{digits}.{application_check_digit(digits)}"


def _days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(low, high))


def demo_records(*, count: int, seed: int = 2013, today: dt.date | None = None) -> list[PatentRecord]:
    """``count`` demo patents, the same ones for the same seed (the first N of a fixed sequence)."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    zone_codes = sorted(directory.DEMO_IPC_CODES)
    records = []
    for index in range(count):
        zone = zone_codes[index % len(zone_codes)]
        kind = PatentKind.INVENTION if rng.random() < 0.6 else PatentKind.UTILITY_MODEL
        filed = dt.date(rng.randint(2008, 2023), 1, 1) + _days(rng, 0, 364)
        number = _application_number(filed.year, "1" if kind == PatentKind.INVENTION else "2", index)
        serial = f"9{index:08d}"
        publications: list[Publication] = []
        grant_date = None
        if kind == PatentKind.INVENTION:
            published = filed + _days(rng, 540, 600)
            if published > today:
                published = today - _days(rng, 1, 30) if today - dt.timedelta(days=31) > filed else today
            publications.append(Publication(f"CN{serial}A", "A", published))
            if rng.random() < 0.65 and published + dt.timedelta(days=400) < today:
                grant_date = published + _days(rng, 300, 900)
                grant_date = min(grant_date, today)
                publications.append(Publication(f"CN{serial}B", "B", grant_date))
        else:
            grant_date = min(filed + _days(rng, 150, 300), today)
            publications.append(Publication(f"CN{serial}U", "U", grant_date))
        expiry = compute_expiry(kind, filed)
        assert expiry is not None  # always filed, so always an expiry
        if grant_date is None:
            status = LegalStatus.PENDING if rng.random() < 0.85 else LegalStatus.WITHDRAWN
        elif expiry <= today:
            status = LegalStatus.EXPIRED
        else:
            status = LegalStatus.IN_FORCE if rng.random() < 0.8 else LegalStatus.LAPSED
        codes = rng.sample(directory.DEMO_IPC_CODES[zone], k=min(2, len(directory.DEMO_IPC_CODES[zone])))
        subject = rng.choice(directory.DEMO_SUBJECTS[zone])
        stem = rng.choice(directory.DEMO_APPLICANT_STEMS)
        inventors = tuple(
            rng.choice(directory.DEMO_SURNAMES) + "".join(rng.sample(directory.DEMO_GIVEN, k=rng.randint(1, 2)))
            for _ in range(rng.randint(1, 3))
        )
        title = f"一种{subject}及其{rng.choice(directory.DEMO_SUFFIXES)}"
        records.append(PatentRecord(
            publications=tuple(publications),
            kind=str(kind),
            title=title,
            application_number=number,
            abstract=f"【演示数据 / demo data】本申请公开了{title}。此记录由系统生成，仅用于演示，并非真实专利。",
            applicants=(f"{stem}演示科技有限公司",),
            inventors=inventors,
            ipc_codes=tuple(codes),
            application_date=filed,
            publication_date=publications[0].date,
            grant_date=grant_date,
            legal_status=str(status),
            supplied=frozenset({
                "kind", "title", "abstract", "applicants", "inventors", "ipc_codes", "application_date",
                "publication_date", "grant_date", "legal_status",
            }),
        ))
    return records


def demo_patents_generate(*, count: int = 200, seed: int = 2013) -> BatchResult:
    """Create (or confirm) the demo set, classify it into zones and queue it for indexing."""
    from listings.catalogue.signals import announce_patents_changed

    total = BatchResult()
    records = demo_records(count=count, seed=seed)
    for start in range(0, len(records), 500):
        with transaction.atomic():
            result = patents_upsert_batch(records=records[start : start + 500], source=DEMO_SOURCE, is_demo=True)
            moved = patents_classify(patent_ids=result.changed) if result.changed else set()
            announce_patents_changed(set(result.changed) | moved)
        total.created += result.created
        total.updated += result.updated
        total.unchanged += result.unchanged
    return total


def demo_patents_exist() -> bool:
    return Patent.objects.filter(is_demo=True).exists()
