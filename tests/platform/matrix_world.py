"""The world the permission matrix is checked against, built once per module with the factories and the services.

Five identities look at the objects of one organisation (the *owning* organisation):
``anon`` (not signed in), ``other`` (a member of another verified organisation, in every role that could tempt a
check), ``norole`` (a member of the owning organisation whose only role is lender, 质权人), ``owner`` (a member of the
owning organisation with the holder and demand roles) and ``operator`` (staff). A third organisation is the buyer in
the owner's deal, so the deal has a counterparty that is none of the five.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from listings.catalogue.models import Patentee
from listings.deals.services import lifecycle, offers, parties
from listings.matching.models import DemandMatch
from listings.matching.services import saved_search_create
from listings.trading.models import AttachmentKind, DealType
from listings.trading.services import attachments, editing
from marketplace.api_tokens import api_token_create
from marketplace.kernel.money import Money
from marketplace.models import Membership, Notification
from tests.factories import (
    DemandFactory,
    IndustryFactory,
    IpcEntryFactory,
    ListingFactory,
    MembershipFactory,
    OperatorFactory,
    OrganisationFactory,
    PatentFactory,
    ServiceAgencyFactory,
    UserFactory,
    ZoneFactory,
)

IDENTITIES = ("anon", "other", "norole", "owner", "operator")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def build_world() -> dict:
    """Every object a route can name, owned by the owning organisation (ids by the name of their path part)."""
    owning = OrganisationFactory(name="苏州纳微新材料有限公司")
    owner = UserFactory(username="matrix-owner")
    for role in (Membership.Role.HOLDER, Membership.Role.DEMAND):
        MembershipFactory(organisation=owning, user=owner, role=role)
    norole = MembershipFactory(organisation=owning, role=Membership.Role.LENDER, user__username="matrix-lender").user
    other_org = OrganisationFactory(name="武汉光谷光通信有限公司")
    other = UserFactory(username="matrix-other")
    for role in (Membership.Role.HOLDER, Membership.Role.DEMAND, Membership.Role.BROKER):
        MembershipFactory(organisation=other_org, user=other, role=role)
    buyer_org = OrganisationFactory(name="杭州物联感知科技有限公司")
    buyer = MembershipFactory(organisation=buyer_org, role=Membership.Role.DEMAND, user__username="matrix-buyer").user
    operator = OperatorFactory(username="matrix-operator")
    agency = ServiceAgencyFactory()
    MembershipFactory(organisation=agency, role=Membership.Role.BROKER)

    patent = PatentFactory(holders=[owning], ipc=["B82Y30/00"])
    listing = ListingFactory(organisation=owning, created_by=owner, patents=[patent], deal_type=DealType.ASSIGNMENT,
                             price_amount=Money.parse("500000").amount)
    draft = editing.listing_create(organisation=owning, by=owner, patents=[PatentFactory(holders=[owning])],
                                   title="授权书待审的草稿", description="", deal_type=DealType.ASSIGNMENT,
                                   price=Money.parse("300000.00"))
    authorisation = attachments.listing_attachment_add(
        listing=draft, by=owner, kind=AttachmentKind.AUTHORISATION,
        upload=SimpleUploadedFile("授权书.pdf", PDF, content_type="application/pdf"),
    )
    demand = DemandFactory(organisation=owning, created_by=owner, ipc_codes=["B82Y30/00"])
    matched = PatentFactory()
    match = DemandMatch.objects.create(demand=demand, patent=matched, listing=ListingFactory(patents=[matched]),
                                       rank=1, score=0.5, computed_at=timezone.now())

    deal = lifecycle.deal_open_from_listing(listing=listing, by=buyer, buyer=buyer_org, deal_type="assignment",
                                            price_amount=40_000_000, message="希望了解授权情况")
    deal = lifecycle.deal_accept(deal=deal, by=owner)
    offer = offers.offer_make(deal=deal, by=buyer, terms=dict(
        deal_type="assignment", price_amount=45_000_000, licence_kind="", territory="", field_of_use="",
        term_start=None, term_end=None, royalty_bps=None,
        milestones=[{"label": "签约", "amount": 45_000_000, "due": ""}],
        expires_at=timezone.now() + dt.timedelta(days=7)))
    document = parties.document_upload(deal=deal, by=owner, confidential=False,
                                       upload=SimpleUploadedFile("说明.pdf", PDF, content_type="application/pdf"))
    broker = parties.broker_request(deal=deal, by=owner, side="seller", note="请推荐经纪机构")
    saved = saved_search_create(user=owner, name="纳米银线", scope="patents", params={"q": "纳米"})
    notification = Notification.objects.filter(recipient=owner).order_by("pk").first()
    token, _key = api_token_create(user=owner, name="ERP 对接")
    patentee = Patentee.objects.create(name="苏州纳微新材料有限公司")
    assert notification is not None, "opening the deal tells the owner"
    return {
        "users": {"other": other, "norole": norole, "owner": owner, "operator": operator},
        "ids": {
            "listing": listing.pk, "draft": draft.pk, "attachment": authorisation.pk, "demand": demand.pk,
            "match": match.pk, "deal": deal.pk, "offer": offer.pk, "document": document.pk, "broker": broker.pk,
            "saved_search": saved.pk, "notification": notification.pk, "organisation": owning.pk, "token": token.pk,
            "patentee": patentee.pk,
            "patent": patent.publication_number, "zone": ZoneFactory().code, "industry": IndustryFactory().code,
            "ipc": IpcEntryFactory().code,
        },
    }


@contextmanager
def rolled_back():
    """One cell: whatever the request writes is undone, so every cell sees the same world."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
