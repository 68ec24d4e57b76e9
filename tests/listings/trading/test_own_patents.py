"""The listing form offers the organisation's own patents to pick (issue 9: a new holder chooses a patent the
organisation holds instead of typing its number from memory)."""
from __future__ import annotations

import pytest
from django.test import Client

from listings.catalogue.models import LegalStatus, Patentee, PatenteeRole, PatentPatentee
from listings.catalogue.services.patents import patentees_sync
from listings.trading.selectors import own_patents
from marketplace.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory, PatentFactory

pytestmark = pytest.mark.django_db

NAME = "苏州纳米光电材料有限公司"


def _named(*applicants, **kwargs):
    patent = PatentFactory(applicants=list(applicants), **kwargs)
    patentees_sync(applicants={patent.pk: list(applicants)})
    return patent


def test_held_and_linked_patents_in_force_only():
    org = OrganisationFactory(name=NAME)
    other = OrganisationFactory(name="另一家公司")
    held = PatentFactory(holders=[org])
    named = _named(NAME)
    unlinked = _named("尚未确认的申请人")
    lapsed = _named(NAME, legal_status=LegalStatus.LAPSED)
    theirs = PatentFactory(holders=[other])
    transferred = _named(NAME)
    Patentee.objects.filter(name=NAME).update(organisation=org)
    PatentPatentee.objects.create(patent=transferred, role=PatenteeRole.RECORDED_OWNER,
                                  patentee=Patentee.objects.create(name="新权利人有限公司", organisation=other))

    mine = {p.pk for p in own_patents([org])}
    assert mine == {held.pk, named.pk}
    assert not mine & {unlinked.pk, lapsed.pk, theirs.pk, transferred.pk}
    assert {p.pk for p in own_patents([other])} == {theirs.pk, transferred.pk}  # the recorded new owner's


def test_the_form_offers_them_as_buttons():
    org = OrganisationFactory(name=NAME)
    member = MembershipFactory(organisation=org, role=Membership.Role.HOLDER).user
    held = PatentFactory(holders=[org], title="一种量子点发光薄膜的制备方法")
    client = Client()
    client.force_login(member)
    page = client.get("/listings/new/").content.decode()
    assert f'data-number="{held.publication_number}"' in page and 'id="own-patents"' in page

    bare = MembershipFactory(organisation=OrganisationFactory(), role=Membership.Role.HOLDER).user
    client.force_login(bare)
    assert 'id="own-patents"' not in client.get("/listings/new/").content.decode()
