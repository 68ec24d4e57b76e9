"""What the listings tests compare: a fingerprint of everything the importer may write."""
from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from listings.catalogue.models import Patent, PatentIpc, PatentPublication

PATENT_FIELDS = [f.attname for f in Patent._meta.concrete_fields]


def database_fingerprint() -> dict:
    """Row counts plus a checksum over every patent column (``updated_at`` included), IPC rows,
    publications and classification: equal fingerprints mean nothing was written."""
    digest = hashlib.sha256()
    for row in Patent.objects.order_by("pk").values_list(*PATENT_FIELDS):
        digest.update(repr(row).encode())
    for row in PatentIpc.objects.order_by("patent_id", "position").values_list("patent_id", "code", "position"):
        digest.update(repr(row).encode())
    for row in PatentPublication.objects.order_by("number").values_list("patent_id", "number", "kind_code", "date"):
        digest.update(repr(row).encode())
    for through in (Patent.industries.through, Patent.zones.through):
        for row in through.objects.order_by("pk").values_list("patent_id", through._meta.fields[-1].attname):
            digest.update(repr(row).encode())
    return {
        "patents": Patent.objects.count(),
        "ipc_rows": PatentIpc.objects.count(),
        "publications": PatentPublication.objects.count(),
        "checksum": digest.hexdigest(),
    }


def read_report(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
