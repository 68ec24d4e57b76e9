"""Row locks (Postgres only): two concurrent transitions on the same listing cannot both succeed.

Two threads each run a service in its own connection. The first holds the listing's row lock
(``select_for_update``) while the second waits; when the first commits, the second re-reads the
new status and its move is refused by the state machine.
"""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from listings.trading.models import Listing, ListingStatus, ListingTransition
from listings.trading.services import lifecycle as svc
from marketplace.kernel.statemachine import IllegalTransition

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_approve_and_reject_cannot_both_win(postgres_only, make_listing, holder, operator):
    listing = make_listing()
    svc.listing_submit(listing=listing, by=holder)
    svc.listing_review_start(listing=listing, by=operator)

    first_has_lock = threading.Event()
    release_first = threading.Event()
    outcomes: dict[str, object] = {}

    def approve():
        try:
            with transaction.atomic():
                # Take the same lock the service takes, hold it until the rival is waiting on it.
                Listing.objects.select_for_update().get(pk=listing.pk)
                first_has_lock.set()
                release_first.wait(timeout=30)
                outcomes["approve"] = svc.listing_approve(listing=Listing(pk=listing.pk), by=operator).status
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion
            outcomes["approve"] = exc
        finally:
            connections.close_all()

    def reject():
        first_has_lock.wait(timeout=30)
        try:
            outcomes["reject"] = svc.listing_reject(listing=Listing(pk=listing.pk), by=operator, reason="材料不全").status
        except Exception as exc:  # noqa: BLE001
            outcomes["reject"] = exc
        finally:
            connections.close_all()

    rival = threading.Thread(target=reject)
    holder_thread = threading.Thread(target=approve)
    holder_thread.start()
    rival.start()
    first_has_lock.wait(timeout=30)
    # The rival is blocked on the row lock: Postgres shows it waiting for a lock held by the first.
    with connection.cursor() as cursor:
        for _ in range(200):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone()[0] >= 1:
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the second transition never waited on the row lock")
    release_first.set()
    holder_thread.join(timeout=60)
    rival.join(timeout=60)

    assert outcomes["approve"] == ListingStatus.PUBLISHED
    assert isinstance(outcomes["reject"], IllegalTransition)
    assert outcomes["reject"].current == ListingStatus.PUBLISHED
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.PUBLISHED
    actions = list(ListingTransition.objects.filter(listing=listing).values_list("action", flat=True))
    assert actions.count("approve") == 1 and "reject" not in actions
