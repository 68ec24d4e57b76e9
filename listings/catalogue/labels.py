"""The catalogue's display names, held in each process: IPC titles (section to main group), zone and industry names.

The search page and the API label their facets on every request, but these rows change only when the IPC scheme or
the zone directory is loaded or an operator edits one in the admin. Each process therefore reads them once (three
queries) into a snapshot and builds, per language, the localised names from it.

Every process sees a change: the snapshot is tagged with a *generation* token held in Django's cache (Redis when
``REDIS_URL`` is set, the shared file cache otherwise), read on each lookup — one cache read, no query. A save or
delete of an ``IpcEntry``, ``Zone`` or ``Industry`` (``connect()``), and the IPC scheme loader, which writes in bulk
and sends no signals, call ``invalidate_on_commit()``: the token is replaced when the change is made and again once
it commits, so a process that read the old rows in between keeps them only under a token that is already retired.
The token is random, never a counter, so a token lost from the cache can never come back and match a stale snapshot.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

GENERATION_KEY = "catalogue:labels:generation"


@dataclass(frozen=True)
class CatalogueLabels:
    """code → name in one language; zones and industries in their models' order (the order of the old queries)."""

    ipc: dict[str, str]
    zone: dict[str, str]
    industry: dict[str, str]


@dataclass
class _Snapshot:
    generation: str
    ipc: list[tuple[str, str, str]]
    zones: list[tuple[str, str, str]]
    industries: list[tuple[str, str, str]]
    by_language: dict[str, CatalogueLabels] = field(default_factory=dict)


_lock = threading.Lock()
_snapshot: _Snapshot | None = None


def generation() -> str:
    token = cache.get(GENERATION_KEY)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(GENERATION_KEY, token, None):
            token = cache.get(GENERATION_KEY) or token
    return str(token)


def invalidate() -> None:
    """Retire every process's snapshot (a fresh token)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def invalidate_on_commit() -> None:
    """Retire the snapshots now and again when the current transaction commits (see the module docstring)."""
    invalidate()
    transaction.on_commit(invalidate)


def _load(token: str) -> _Snapshot:
    from listings.catalogue.models import Industry, IpcEntry, Zone

    def rows(queryset: Any, *fields: str) -> list[tuple[str, str, str]]:
        return [(str(a), str(b), str(c)) for a, b, c in queryset.values_list(*fields)]

    return _Snapshot(
        generation=token,
        # facets and the drill-down label section to main-group codes; the ~70,000 subgroups are never asked for
        ipc=rows(IpcEntry.objects.exclude(level=IpcEntry.Level.SUBGROUP), "code", "title_zh", "title_en"),
        zones=rows(Zone.objects.all(), "code", "name_zh", "name_en"),
        industries=rows(Industry.objects.all(), "code", "name_zh", "name_en"),
    )


def catalogue_labels() -> CatalogueLabels:
    """The names in the active language, from this process's snapshot (rebuilt when the generation moved)."""
    global _snapshot
    from listings.catalogue.models import localised_text

    token = generation()  # read before the rows, so rows read before a change are tagged with the retired token
    language = (get_language() or "zh-hans").lower()
    with _lock:
        snapshot = _snapshot
        if snapshot is None or snapshot.generation != token:
            snapshot = _snapshot = _load(token)
        labels = snapshot.by_language.get(language)
        if labels is None:
            def names(rows: list[tuple[str, str, str]]) -> dict[str, str]:
                return {code: localised_text(zh, en) for code, zh, en in rows}

            labels = snapshot.by_language[language] = CatalogueLabels(
                ipc=names(snapshot.ipc), zone=names(snapshot.zones), industry=names(snapshot.industries)
            )
    return labels


def _changed(sender: Any, **kwargs: Any) -> None:
    invalidate_on_commit()


def connect() -> None:
    """Saves and deletes of the labelled models retire the snapshots (``ListingsConfig.ready``)."""
    from django.db.models.signals import post_delete, post_save

    from listings.catalogue.models import Industry, IpcEntry, Zone

    for model in (IpcEntry, Zone, Industry):
        post_save.connect(_changed, sender=model, dispatch_uid=f"catalogue_labels_saved_{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"catalogue_labels_deleted_{model.__name__}")
