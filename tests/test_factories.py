"""The shared factories write valid identifiers, so no test passes on data the site would reject."""
from __future__ import annotations

import pytest

from listings.catalogue.identifiers import parse_application_number, parse_publication_number
from listings.catalogue.models import PatentKind
from marketplace.identifiers import parse_uscc
from tests.factories import OrganisationFactory, PatentFactory, PatentPublicationFactory, make_uscc

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", PatentKind.values)
def test_patent_numbers_carry_check_digit_and_kind_code(kind):
    patent = PatentFactory(kind=kind, ipc=["H04B10/25", "H04W4/02"])
    patent.full_clean()
    assert parse_application_number(patent.application_number).kind == kind
    assert parse_publication_number(patent.publication_number).patent_kind == kind
    assert patent.main_ipc == "H04B10/25" and patent.ipc_codes.count() == 2
    publication = PatentPublicationFactory(patent=patent)
    assert publication.kind_code == patent.publication_number[-1]


def test_organisations_have_valid_usccs_apart_from_make_uscc():
    organisations = OrganisationFactory.create_batch(3)
    for organisation in organisations:
        assert parse_uscc(organisation.uscc) == organisation.uscc
        organisation.full_clean()
    assert not {o.uscc for o in organisations} & {make_uscc(n) for n in range(10_000)}
