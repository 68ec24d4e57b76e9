"""One patent, several live listings (issue 8, item 6): an assignment stands alone, two exclusive or sole licences
conflict, duplicates are warned about, and the operator sees the patent's other live listings in the queue."""
from __future__ import annotations

import pytest

from listings.catalogue.models import LicenceKind
from listings.trading.models import DealType, ListingStatus
from listings.trading.selectors import listing_duplicate_warnings
from listings.trading.services import lifecycle as svc

from .helpers import breaks

pytestmark = pytest.mark.django_db


def test_an_assignment_cannot_be_offered_beside_a_live_assignment_even_a_negotiable_one(make_listing, holder, publish):
    publish(make_listing(), owner=holder)
    with breaks("deal_type", "assignment_conflict"):
        make_listing(title="面议转让", price=None)


def test_nothing_else_can_be_offered_beside_a_live_assignment(make_listing, holder, publish):
    publish(make_listing(), owner=holder)
    with breaks("deal_type", "assignment_listed"):
        make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.EXCLUSIVE, title="独占许可")
    with breaks("deal_type", "assignment_listed"):
        make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.NON_EXCLUSIVE, title="普通许可")


def test_an_assignment_cannot_join_a_live_licence(make_listing, holder):
    licence = make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.NON_EXCLUSIVE, title="普通许可")
    svc.listing_submit(listing=licence, by=holder)
    with breaks("deal_type", "assignment_conflict"):
        make_listing(title="转让")


def test_drafts_made_side_by_side_are_refused_at_submission_and_at_approval(make_listing, holder, operator):
    """Drafts are not live, so both can be drafted; the second one to be submitted is refused, and approval checks
    again (a listing submitted before this rule existed)."""
    assignment = make_listing(title="转让")
    licence = make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.EXCLUSIVE, title="独占许可")
    svc.listing_submit(listing=assignment, by=holder)
    with breaks("deal_type", "assignment_listed"):
        svc.listing_submit(listing=licence, by=holder)
    licence.refresh_from_db()
    assert licence.status == ListingStatus.DRAFT

    type(licence).objects.filter(pk=licence.pk).update(status=ListingStatus.IN_REVIEW)
    svc.listing_review_start(listing=assignment, by=operator)
    with breaks("deal_type", "assignment_conflict"):
        svc.listing_approve(listing=assignment, by=operator)


def test_two_exclusive_or_sole_licences_conflict(make_listing, holder):
    first = make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.EXCLUSIVE, title="独占许可")
    svc.listing_submit(listing=first, by=holder)
    with breaks("licence_kind", "licence_conflict"):
        make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.SOLE, title="排他许可")


def test_a_duplicate_is_allowed_with_a_warning_at_create_and_submit(client, make_listing, holder, holder_org, patent):
    first = make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.NON_EXCLUSIVE, title="普通许可 一")
    svc.listing_submit(listing=first, by=holder)
    second = make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.NON_EXCLUSIVE, title="普通许可 二")
    [warning] = listing_duplicate_warnings(second)
    assert "普通许可 一" in warning

    client.force_login(holder)
    form = {
        "organisation": holder_org.pk, "title": "普通许可 三", "description": "", "patent_numbers": patent.publication_number,
        "deal_type": "licence", "licence_kind": "non_exclusive", "price": "1000", "royalty_rate": "",
    }
    page = client.post("/listings/new/", form, follow=True).content.decode()
    assert "普通许可 一" in page and "普通许可 二" in page  # both named in the warnings
    page = client.post(f"/listings/{second.pk}/submit/", follow=True).content.decode()
    assert "普通许可 一" in page
    second.refresh_from_db()
    assert second.status == ListingStatus.SUBMITTED


def test_the_review_queue_shows_the_patents_other_live_listings(client, make_listing, holder, operator, other_org):
    first = make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.NON_EXCLUSIVE, title="已提交的普通许可")
    second = make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.NON_EXCLUSIVE, title="另一普通许可")
    svc.listing_submit(listing=first, by=holder)
    svc.listing_submit(listing=second, by=holder)
    client.force_login(operator)
    page = client.get("/review/").content.decode()
    assert f'data-other-live="{first.pk}"' in page and f'data-other-live="{second.pk}"' in page
    block = page.split(f'data-other-live="{first.pk}"')[1].split("</div>")[0]
    assert "另一普通许可" in block and "已提交的普通许可" not in block


def test_the_review_queue_shows_each_listings_patent_numbers(client, make_listing, holder, operator, patent):
    first = make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.NON_EXCLUSIVE, title="许可甲")
    second = make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.NON_EXCLUSIVE, title="许可乙")
    svc.listing_submit(listing=first, by=holder)
    svc.listing_submit(listing=second, by=holder)
    client.force_login(operator)
    page = client.get("/review/").content.decode()
    row = page.split(f'data-patents="{first.pk}"')[1].split("</div>")[0]
    assert patent.publication_number in row and patent.get_absolute_url() in row
    other = page.split(f'data-other-live="{first.pk}"')[1].split("</div>")[0]
    assert f"({patent.publication_number})" in other  # which patent the other listing shares
