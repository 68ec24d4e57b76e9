"""What retires the public page cache: every event that changes what a public page shows.

The exhibition pages read the catalogue, the listing and demand boards, the organisations (the agency directory),
the Wagtail page tree and the search index. Each write to those, and each domain event that moves rows in bulk
(``patents_changed`` after an import, ``listing_published``, ``demand_changed``, a patent leaving force or being
encumbered), calls ``pagecache.invalidate_on_commit()``. The index is written by a Celery task after the commit;
``search.tasks`` retires the cache itself once the engine holds the new documents.
"""
from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from listings.catalogue import signals as catalogue_signals
from listings.demands import signals as demand_signals
from listings.trading import signals as trading_signals
from marketplace import pagecache

# Models of these apps never appear on a public page: their writes (frequent ones, like stored matches) keep the cache.
UNSHOWN_MODULES = ("listings.matching", "listings.deals")
SHOWN_MODELS = {
    ("marketplace", "organisation"),
    ("wagtailcore", "pageviewrestriction"),
    ("wagtailcore", "site"),
}


def shown_on_public_pages(model: Any) -> bool:
    meta = model._meta
    if meta.app_label in ("listings", "cms"):
        return not model.__module__.startswith(UNSHOWN_MODULES)
    if (meta.app_label, meta.model_name) in SHOWN_MODELS:
        return True
    from wagtail.models import Page

    return issubclass(model, Page)


def _model_written(sender: Any, **kwargs: Any) -> None:
    if shown_on_public_pages(sender):
        pagecache.invalidate_on_commit()


def _m2m_written(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("action", "").startswith("post_") and shown_on_public_pages(type(instance)):
        pagecache.invalidate_on_commit()


def _event(**kwargs: Any) -> None:
    pagecache.invalidate_on_commit()


def connect() -> None:
    post_save.connect(_model_written, dispatch_uid="pagecache.post_save")
    post_delete.connect(_model_written, dispatch_uid="pagecache.post_delete")
    m2m_changed.connect(_m2m_written, dispatch_uid="pagecache.m2m_changed")
    for signal in (
        catalogue_signals.patents_changed,
        catalogue_signals.patent_left_force,
        catalogue_signals.patent_encumbered,
        catalogue_signals.encumbrance_released,
        trading_signals.listing_published,
        demand_signals.demand_changed,
        page_published,
        page_unpublished,
    ):
        signal.connect(_event, dispatch_uid=f"pagecache.{id(signal)}")
