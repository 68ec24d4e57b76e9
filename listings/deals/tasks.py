"""Periodic deal work run by the Celery worker: expiring open offers past their ``expires_at`` (every five minutes,
scheduled by ``CELERY_BEAT_SCHEDULE`` in ``marketplace/settings/base.py``)."""
from __future__ import annotations

from celery import shared_task


@shared_task(name="listings.deals.expire_offers")
def expire_offers() -> int:
    """Mark every open offer past its expiry as expired (each one recorded in its room); returns how many."""
    from listings.deals.services.offers import offers_expire_due

    return offers_expire_due()
