"""Trading reads that pages use instead of deciding in templates: which patents can be listed, which files show."""
import datetime as dt

import pytest

from listings.catalogue.models import LegalStatus
from listings.catalogue.services import register
from listings.trading import selectors
from tests.factories import PatentFactory

pytestmark = pytest.mark.django_db


def test_a_patent_is_listable_only_while_a_right_exists_unencumbered(operator):
    in_force = PatentFactory(legal_status=LegalStatus.IN_FORCE)
    assert selectors.patent_is_listable(in_force)
    assert selectors.patent_is_listable(PatentFactory(legal_status=LegalStatus.PENDING))
    assert not selectors.patent_is_listable(PatentFactory(legal_status=LegalStatus.LAPSED))

    past_term = PatentFactory(legal_status=LegalStatus.IN_FORCE, application_date=dt.date(1990, 1, 1))
    assert past_term.expiry_date and past_term.expiry_date < dt.date.today()
    assert not selectors.patent_is_listable(past_term)  # status says in force, the term has ended

    register.encumbrance_register(patent=in_force, kind="pledge", by=operator, reference="Y2026000001")
    assert not selectors.patent_is_listable(in_force)


def test_a_changed_owner_is_not_listable_until_the_new_owner_is_recorded():
    patent = PatentFactory(legal_status=LegalStatus.IN_FORCE, legal_status_text="专利权转移")
    assert patent.is_transfer_record
    assert not selectors.patent_is_listable(patent)


def test_the_patent_page_offers_listing_only_for_a_listable_patent(client, holder, holder_org):
    live = PatentFactory(legal_status=LegalStatus.IN_FORCE)
    lapsed = PatentFactory(legal_status=LegalStatus.LAPSED)
    client.force_login(holder)
    assert 'id="list-this-patent"' in client.get(live.get_absolute_url()).content.decode()
    assert 'id="list-this-patent"' not in client.get(lapsed.get_absolute_url()).content.decode()


def test_authorisations_are_visible_to_the_owner_and_operators_only(make_listing, holder, publish, operator, outsider):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from listings.trading.services import attachments
    from tests.listings.trading.test_uploads import PDF_BYTES

    listing = make_listing()
    patent = listing.patents.get()
    attachments.listing_attachment_add(
        listing=listing, by=holder, kind="authorisation", patent=patent,
        upload=SimpleUploadedFile("auth.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    attachments.listing_attachment_add(
        listing=listing, by=holder, kind="document",
        upload=SimpleUploadedFile("spec.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    publish(listing, owner=holder)
    listing.refresh_from_db()
    assert {a.kind for a in selectors.attachments_visible_to(outsider, listing)} == {"document"}
    assert {a.kind for a in selectors.attachments_visible_to(holder, listing)} == {"document", "authorisation"}
    assert {a.kind for a in selectors.attachments_visible_to(operator, listing)} == {"document", "authorisation"}
