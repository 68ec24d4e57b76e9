"""Two exclusive licences of one patent submitted in parallel (Postgres): submit locks the patent rows, so the
second waits for the first, then sees it and is refused; they never both become "submitted" (issue 8, item 10)."""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from listings.catalogue.models import LicenceKind
from listings.trading.models import DealType, Listing, ListingStatus
from listings.trading.services import lifecycle as svc
from marketplace.kernel.statemachine import RuleBroken

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for_a_lock_wait() -> bool:
    with connection.cursor() as cursor:
        for _ in range(200):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone()[0] >= 1:
                return True
            threading.Event().wait(0.05)
    return False


@pytest.mark.parametrize("kind", [LicenceKind.EXCLUSIVE, LicenceKind.SOLE])
def test_parallel_submissions_of_two_exclusive_licences_cannot_both_succeed(postgres_only, make_listing, holder, kind):
    first, second = (
        make_listing(deal_type=DealType.LICENCE, licence_kind=kind, title=f"独占许可 {n}", territory="中国")
        for n in (1, 2)
    )
    first_submitted = threading.Event()
    release_first = threading.Event()
    outcomes: dict[str, object] = {}

    def submit_first():
        try:
            with transaction.atomic():
                outcomes["first"] = svc.listing_submit(listing=Listing(pk=first.pk), by=holder).status
                first_submitted.set()
                release_first.wait(timeout=30)  # still uncommitted while the second one tries
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion
            outcomes["first"] = exc
        finally:
            first_submitted.set()
            connections.close_all()

    def submit_second():
        first_submitted.wait(timeout=30)
        try:
            outcomes["second"] = svc.listing_submit(listing=Listing(pk=second.pk), by=holder).status
        except Exception as exc:  # noqa: BLE001
            outcomes["second"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit_first), threading.Thread(target=submit_second)]
    for thread in threads:
        thread.start()
    first_submitted.wait(timeout=30)
    waited = _wait_for_a_lock_wait()
    release_first.set()
    for thread in threads:
        thread.join(timeout=60)

    assert waited, "the second submission never waited on the patent's row lock"
    assert outcomes["first"] == ListingStatus.SUBMITTED
    assert isinstance(outcomes["second"], RuleBroken)
    assert ("licence_kind", "licence_conflict") in [(f, r) for f, r, _ in outcomes["second"].violations]
    statuses = dict(Listing.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "status"))
    assert statuses == {first.pk: ListingStatus.SUBMITTED, second.pk: ListingStatus.DRAFT}


def test_approval_locks_the_patent_rows_too(postgres_only, make_listing, holder, operator):
    listing = make_listing()
    svc.listing_submit(listing=listing, by=holder)
    svc.listing_review_start(listing=listing, by=operator)
    patent_id = listing.patents.get().pk
    locked = threading.Event()
    release = threading.Event()

    def approve():
        try:
            with transaction.atomic():
                svc.listing_approve(listing=Listing(pk=listing.pk), by=operator)
                locked.set()
                release.wait(timeout=30)
        finally:
            locked.set()
            connections.close_all()

    thread = threading.Thread(target=approve)
    thread.start()
    locked.wait(timeout=30)
    with connection.cursor() as cursor:
        # NOWAIT: the patent row is held by the approving transaction until it commits
        with pytest.raises(Exception, match="could not obtain lock"):
            with transaction.atomic():
                cursor.execute("SELECT id FROM listings_patent WHERE id = %s FOR UPDATE NOWAIT", [patent_id])
    release.set()
    thread.join(timeout=60)
