"""Turning database rows into ``PatentDocument``s, the only thing engines index."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from listings.catalogue.models import Patent
from search.interface import PatentDocument


def patent_document(patent: Patent) -> PatentDocument:
    codes = [row.code for row in sorted(patent.ipc_codes.all(), key=lambda r: r.position)]
    listed = False
    listing_manager = getattr(patent, "listings", None)
    if listing_manager is not None:
        listed = any(getattr(listing, "is_public", False) for listing in listing_manager.all())
    return PatentDocument(
        id=patent.pk,
        publication_number=patent.publication_number,
        title=patent.title,
        abstract=patent.abstract or "",
        claims=patent.claims or "",
        applicants=tuple(patent.applicants or ()),
        inventors=tuple(patent.inventors or ()),
        ipc_codes=tuple(codes),
        zones=tuple(sorted(z.code for z in patent.zones.all())),
        industries=tuple(sorted(i.code for i in patent.industries.all())),
        legal_status=patent.legal_status,
        kind=patent.kind,
        application_date=patent.application_date,
        listed=listed,
        application_number=patent.application_number or "",
        application_year=patent.application_year,
    )


def patent_queryset(ids: Iterable[int] | None = None):
    qs = Patent.objects.prefetch_related("ipc_codes", "zones", "industries").order_by("pk")
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs


def iter_patent_documents(ids: Iterable[int] | None = None, *, chunk_size: int = 2000) -> Iterator[PatentDocument]:
    """Every patent (or those in ``ids``) as documents, read in chunks to bound memory."""
    from django.apps import apps

    qs = patent_queryset(ids)
    if apps.is_installed("listings") and hasattr(Patent, "listings"):
        qs = qs.prefetch_related("listings")
    for patent in qs.iterator(chunk_size=chunk_size):
        yield patent_document(patent)
