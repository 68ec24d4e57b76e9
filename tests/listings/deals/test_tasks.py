"""Offer expiry by Celery beat: the schedule is declared in settings, beat installs it, the task expires due offers."""
from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from listings.deals import tasks
from listings.deals.models import DealOffer, OfferStatus
from listings.deals.services import offers
from marketplace.celery import app
from tests.listings.deals.conftest import terms


@pytest.mark.django_db(transaction=True)  # the scheduler closes old connections, as beat does
def test_beat_installs_the_offer_expiry_schedule_from_settings():
    entries = {e["task"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "listings.deals.expire_offers" in entries
    assert "listings.deals.expire_offers" in app.tasks  # the worker knows the task by name
    DatabaseScheduler(app=app)  # what beat does at start-up
    row = PeriodicTask.objects.get(task="listings.deals.expire_offers")
    assert row.enabled and row.interval is not None and row.interval.every == 300 and row.interval.period == "seconds"


def test_the_task_expires_only_due_offers_and_records_it_in_the_room(started, holder, demander):
    due = offers.offer_make(deal=started, by=holder, terms=terms())
    DealOffer.objects.filter(pk=due.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    head = started.messages.count()
    assert tasks.expire_offers.delay().get() == 1
    due.refresh_from_db()
    assert due.status == OfferStatus.EXPIRED and due.decided_at is not None
    event = started.messages.order_by("-seq").first()
    assert started.messages.count() == head + 1 and event.payload["event"] == "offer_expired"

    fresh = offers.offer_make(deal=started, by=demander, terms=terms(price_amount=45_000_000))
    assert tasks.expire_offers.delay().get() == 0
    fresh.refresh_from_db()
    assert fresh.status == OfferStatus.OPEN
