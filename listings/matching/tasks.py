"""Celery tasks of matching and saved-search alerts. Thin: each loads its object and calls one service."""
from __future__ import annotations

from celery import shared_task

from listings.demands.models import Demand
from listings.trading.models import Listing


@shared_task(name="listings.compute_demand_matches", autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def compute_demand_matches(demand_id: int) -> int:
    """Match a demand, store the ranking, announce new top matches; returns how many rows are new."""
    from listings.matching.services import demand_matches_compute

    demand = Demand.objects.filter(pk=demand_id).first()
    if demand is None:
        return 0
    return len(demand_matches_compute(demand=demand))


@shared_task(name="listings.notify_demands_for_listing", autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def notify_demands_for_listing(listing_id: int) -> int:
    """Tell the published demands a new listing matches; returns how many demands were told."""
    from listings.matching.services import listing_demands_notify

    listing = Listing.objects.filter(pk=listing_id).first()
    if listing is None:
        return 0
    return len(listing_demands_notify(listing=listing))


@shared_task(name="listings.run_saved_search_alerts")
def run_saved_search_alerts() -> int:
    """Periodic (django-celery-beat, hourly): every due saved search; returns how many new hits were announced."""
    from listings.matching.services import saved_search_alerts_run

    return sum(len(ids) for ids in saved_search_alerts_run().values())


@shared_task(name="listings.expire_trading")
def expire_trading() -> dict:
    """Periodic (django-celery-beat, daily): expire listings past their validity and demands past their
    deadline; each expiry is a recorded, notified transition like any other."""
    from listings.demands.services import demands_expire_due
    from listings.trading.services.lifecycle import listings_expire_due

    return {"listings": len(listings_expire_due()), "demands": len(demands_expire_due())}
