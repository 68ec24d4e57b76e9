"""listings.trading.services.lifecycle: creating, submitting, reviewing and trading listings; every rule broken."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from listings.catalogue.models import LegalStatus, LicenceGrant, LicenceKind
from listings.catalogue.services import register
from listings.trading.models import AttachmentKind, DealType, Listing, ListingStatus, ListingTransition, ReviewStatus
from listings.trading.services import attachments, editing, open_licence
from listings.trading.services import lifecycle as svc
from marketplace.kernel.money import Money
from marketplace.kernel.statemachine import IllegalTransition
from marketplace.models import Membership, Notification
from marketplace.services import NotPermitted
from tests.factories import MembershipFactory, OrganisationFactory, PatentFactory, application_number

from .helpers import breaks, snapshot
from .test_uploads import PDF_BYTES

pytestmark = pytest.mark.django_db


def pdf(name="授权书.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


# ---------------------------------------------------------------------------------------------
# Happy path
# ---------------------------------------------------------------------------------------------
def test_holder_lists_and_operator_publishes(make_listing, holder, operator, publish, holder_org):
    listing = make_listing()
    assert listing.status == ListingStatus.DRAFT
    assert listing.price == Money(50_000_000, "CNY")
    publish(listing, owner=holder)
    assert listing.status == ListingStatus.PUBLISHED and listing.is_public and listing.published_at
    steps = list(listing.transitions.values_list("action", "from_status", "to_status", "by__username"))
    assert steps == [
        ("create", "draft", "draft", "holder"),
        ("submit", "draft", "submitted", "holder"),
        ("review_start", "submitted", "in_review", "operator"),
        ("approve", "in_review", "published", "operator"),
    ]
    assert listing.transitions.last().reason == "材料齐全"
    verbs = set(Notification.objects.filter(recipient=holder).values_list("verb", flat=True))
    assert {"listing.in_review", "listing.published"} <= verbs
    assert Notification.objects.filter(recipient=operator, verb="listing.submitted").exists()


def test_negotiable_price_is_none(make_listing):
    listing = make_listing(price=None)
    assert listing.price is None and listing.is_negotiable


def test_portfolio_of_several_patents(make_listing, holder_org, patent):
    second = PatentFactory(holders=[holder_org])
    listing = make_listing(patents=[patent, second])
    assert listing.is_portfolio and set(listing.patents.all()) == {patent, second}
    assert patent.listings.get() == listing


def test_pending_application_right_may_be_assigned(make_listing, holder_org):
    pending = PatentFactory(holders=[holder_org], legal_status=LegalStatus.PENDING, publication_number="CN111111111A")
    listing = make_listing(patents=[pending], deal_type=DealType.ASSIGNMENT)
    assert listing.patents.get() == pending


def test_licence_terms_are_kept(make_listing, today):
    listing = make_listing(
        deal_type=DealType.LICENCE, licence_kind=LicenceKind.EXCLUSIVE, territory="中国大陆", field_of_use="触控面板",
        term_start=today, term_end=today + dt.timedelta(days=365 * 3), royalty_rate_bps=350,
    )
    assert listing.licence_kind == "exclusive" and listing.royalty_rate_display == "3.50%"


# ---------------------------------------------------------------------------------------------
# Terms: each rule broken names its field and changes nothing
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"title": "  "}, "title", "required"),
        ({"deal_type": "auction"}, "deal_type", "invalid_choice"),
        ({"deal_type": DealType.LICENCE, "licence_kind": ""}, "licence_kind", "licence_kind_required"),
        ({"deal_type": DealType.ASSIGNMENT, "licence_kind": LicenceKind.SOLE}, "licence_kind", "licence_kind_not_applicable"),
        ({"deal_type": DealType.OPEN_LICENCE, "licence_kind": LicenceKind.EXCLUSIVE}, "licence_kind", "open_licence_non_exclusive"),
        (
            {"deal_type": DealType.LICENCE, "licence_kind": LicenceKind.NON_EXCLUSIVE,
             "term_start": dt.date(2027, 1, 1), "term_end": dt.date(2026, 12, 31)},
            "term_end", "term_end_before_start",
        ),
        ({"price": Money(0, "CNY")}, "price_amount", "price_not_positive"),
        ({"price": Money(-100, "CNY")}, "price_amount", "price_not_positive"),
        ({"price": Money(100, "USD")}, "price_currency", "currency_not_cny"),
        ({"price": 123.45}, "price_amount", "price_not_money"),
        ({"royalty_rate_bps": 300}, "royalty_rate_bps", "royalty_not_applicable"),
        ({"deal_type": DealType.LICENCE, "licence_kind": LicenceKind.NON_EXCLUSIVE, "royalty_rate_bps": 10001},
         "royalty_rate_bps", "royalty_rate_out_of_range"),
        ({"deal_type": DealType.OPEN_LICENCE, "price": None}, "price_amount", "open_licence_terms_required"),
        ({"expires_on": dt.date(2000, 1, 1)}, "expires_on", "expires_in_past"),
    ],
)
def test_term_rules(make_listing, overrides, field, rule):
    before = snapshot(Listing)
    with breaks(field, rule):
        make_listing(**overrides)
    assert snapshot(Listing) == before


def test_no_patent(holder, holder_org):
    with breaks("patents", "patents_required"):
        editing.listing_create(organisation=holder_org, by=holder, patents=[], title="空挂牌", deal_type=DealType.ASSIGNMENT)
    assert not Listing.objects.exists()


@pytest.mark.parametrize(
    "status", [LegalStatus.EXPIRED, LegalStatus.LAPSED, LegalStatus.INVALIDATED, LegalStatus.WITHDRAWN, LegalStatus.REJECTED]
)
def test_only_rights_in_force(make_listing, holder_org, status):
    dead = PatentFactory(holders=[holder_org], legal_status=status)
    with breaks("patents", "patent_not_in_force"):
        make_listing(patents=[dead])
    assert not Listing.objects.exists()


def test_term_ended_by_date_is_not_in_force(make_listing, holder_org):
    old = PatentFactory(holders=[holder_org], kind="utility_model", application_date=dt.date(2010, 1, 5),
                        application_number=application_number(2010, "2", 7))
    assert old.legal_status == LegalStatus.IN_FORCE and old.expiry_date < dt.date.today()
    with breaks("patents", "patent_not_in_force"):
        make_listing(patents=[old])


@pytest.mark.parametrize("deal_type", [DealType.LICENCE, DealType.OPEN_LICENCE])
def test_pending_application_cannot_be_licensed(make_listing, holder_org, deal_type):
    pending = PatentFactory(holders=[holder_org], legal_status=LegalStatus.PENDING)
    with breaks("patents", "pending_only_assignment"):
        make_listing(patents=[pending], deal_type=deal_type, licence_kind=LicenceKind.NON_EXCLUSIVE,
                     royalty_rate_bps=200)


def test_licence_term_cannot_outlast_the_patent(make_listing, patent):
    with breaks("term_end", "term_beyond_expiry"):
        make_listing(deal_type=DealType.LICENCE, licence_kind=LicenceKind.NON_EXCLUSIVE,
                     term_end=patent.expiry_date + dt.timedelta(days=1))


def test_encumbered_patent_cannot_be_listed(make_listing, patent, operator):
    register.encumbrance_register(patent=patent, kind="pledge", by=operator, reference="Y2026000123")
    with breaks("patents", "patent_encumbered"):
        make_listing()
    assert not Listing.objects.exists()


# ---------------------------------------------------------------------------------------------
# Licence conflicts (DOMAIN §4)
# ---------------------------------------------------------------------------------------------
def licence(kind, **extra):
    values = {"deal_type": DealType.LICENCE, "licence_kind": kind, "territory": "中国", "field_of_use": ""}
    values.update(extra)
    return values


def test_exclusive_refused_when_existing_licence_overlaps(make_listing, patent, operator):
    register.licence_grant_record(patent=patent, kind=LicenceKind.NON_EXCLUSIVE, by=operator, licensee_name="某公司",
                             territory="中国江苏", record_number="2024320000123")
    with breaks("licence_kind", "licence_conflict"):
        make_listing(**licence(LicenceKind.EXCLUSIVE))
    with breaks("licence_kind", "licence_conflict"):
        make_listing(**licence(LicenceKind.SOLE))
    assert not Listing.objects.exists()


def test_any_licence_refused_while_exclusive_stands(make_listing, patent, operator):
    register.licence_grant_record(patent=patent, kind=LicenceKind.EXCLUSIVE, by=operator, licensee_name="某公司")
    with breaks("licence_kind", "licence_conflict"):
        make_listing(**licence(LicenceKind.NON_EXCLUSIVE))


def test_exclusive_in_another_territory_and_period_is_allowed(make_listing, patent, operator, today):
    register.licence_grant_record(patent=patent, kind=LicenceKind.EXCLUSIVE, by=operator, licensee_name="某公司",
                             territory="广东", term_start=today, term_end=today + dt.timedelta(days=100))
    listing = make_listing(**licence(LicenceKind.EXCLUSIVE, territory="浙江"))
    assert listing.pk
    other = make_listing(**licence(LicenceKind.SOLE, territory="", term_start=today + dt.timedelta(days=200)))
    assert other.pk


def test_exclusive_refused_while_open_licence_stands(make_listing, holder, publish):
    open_listing = make_listing(deal_type=DealType.OPEN_LICENCE, price=None, royalty_rate_bps=300)
    publish(open_listing, owner=holder)
    for kind in (LicenceKind.EXCLUSIVE, LicenceKind.SOLE):
        with breaks("licence_kind", "open_licence_stands"):
            make_listing(**licence(kind))
    assert make_listing(**licence(LicenceKind.NON_EXCLUSIVE)).pk


def test_open_licence_refused_while_exclusive_stands(make_listing, patent, operator):
    register.licence_grant_record(patent=patent, kind=LicenceKind.SOLE, by=operator, licensee_name="某公司")
    with breaks("deal_type", "exclusive_licence_exists"):
        make_listing(deal_type=DealType.OPEN_LICENCE, royalty_rate_bps=300)


def test_two_overlapping_exclusive_offers_conflict(make_listing, holder):
    draft = make_listing(**licence(LicenceKind.EXCLUSIVE))
    second_draft = make_listing(**licence(LicenceKind.SOLE, territory="中国上海"))  # drafts claim nothing yet
    svc.listing_submit(listing=draft, by=holder)
    with breaks("licence_kind", "licence_conflict"):
        svc.listing_submit(listing=second_draft, by=holder)
    assert Listing.objects.get(pk=second_draft.pk).status == ListingStatus.DRAFT
    with breaks("licence_kind", "licence_conflict"):
        make_listing(**licence(LicenceKind.SOLE, territory="中国上海"))


def test_closing_a_licence_records_the_grant_that_later_blocks(make_listing, holder, operator, publish, demand_org):
    listing = make_listing(**licence(LicenceKind.EXCLUSIVE))
    publish(listing, owner=holder)
    svc.listing_negotiation_open(listing=listing, by=holder, counterparty=demand_org)
    svc.listing_close(listing=listing, by=holder, outcome="licensed", licensee=demand_org, reason="合同已签署")
    assert listing.status == ListingStatus.CLOSED and listing.close_outcome == "licensed"
    grant = LicenceGrant.objects.get()
    assert grant.licensee == demand_org and grant.kind == LicenceKind.EXCLUSIVE
    with breaks("licence_kind", "licence_conflict"):
        make_listing(**licence(LicenceKind.NON_EXCLUSIVE))


def test_negotiation_opened_by_the_counterparty_not_a_stranger(make_listing, holder, publish, demander, demand_org,
                                                                 outsider):
    listing = publish(make_listing(), owner=holder)
    with pytest.raises(NotPermitted):
        svc.listing_negotiation_open(listing=listing, by=outsider, counterparty=demand_org)
    with breaks("counterparty", "counterparty_is_owner"):
        svc.listing_negotiation_open(listing=listing, by=holder, counterparty=listing.organisation)
    assert Listing.objects.get().status == ListingStatus.PUBLISHED
    svc.listing_negotiation_open(listing=listing, by=demander, counterparty=demand_org, reason="意向报价 45 万元")
    assert listing.status == ListingStatus.UNDER_NEGOTIATION and list(listing.counterparties.all()) == [demand_org]
    assert Notification.objects.filter(recipient=holder, verb="listing.negotiation").exists()
    svc.listing_negotiation_end(listing=listing, by=holder, reason="价格未谈拢")
    assert listing.status == ListingStatus.PUBLISHED and not listing.counterparties.exists()
    assert Notification.objects.filter(recipient=demander, verb="listing.negotiation_ended").exists()


def test_close_outcome_must_fit_the_deal(make_listing, holder, publish, demand_org, other_org):
    listing = make_listing(**licence(LicenceKind.NON_EXCLUSIVE))
    publish(listing, owner=holder)
    svc.listing_negotiation_open(listing=listing, by=holder, counterparty=demand_org)
    with breaks("outcome", "outcome_mismatch"):
        svc.listing_close(listing=listing, by=holder, outcome="assigned")
    with breaks("licensee", "licensee_not_counterparty"):
        svc.listing_close(listing=listing, by=holder, outcome="licensed", licensee=other_org)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.UNDER_NEGOTIATION and not LicenceGrant.objects.exists()


# ---------------------------------------------------------------------------------------------
# Who may list, and the patentee rule
# ---------------------------------------------------------------------------------------------
def test_only_members_in_a_listing_role_create(make_listing, outsider, demander, demand_org):
    with pytest.raises(NotPermitted):
        make_listing(by=outsider)
    with pytest.raises(NotPermitted):
        make_listing(by=demander, organisation=demand_org)
    assert not Listing.objects.exists()


def test_unverified_organisation_cannot_submit(make_listing, holder, holder_org):
    listing = make_listing()
    holder_org.is_verified = False
    holder_org.save()
    with breaks("organisation", "organisation_not_verified"):
        svc.listing_submit(listing=listing, by=holder)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT and listing.transitions.count() == 1


def test_non_patentee_needs_an_authorisation(db, operator):
    broker_org = OrganisationFactory(name="苏州知识产权运营服务有限公司")
    broker = MembershipFactory(organisation=broker_org, role=Membership.Role.BROKER).user
    owner_org = OrganisationFactory()
    patent = PatentFactory(holders=[owner_org])
    listing = editing.listing_create(organisation=broker_org, by=broker, patents=[patent], title="代理挂牌",
                                 deal_type=DealType.ASSIGNMENT)
    with breaks("authorisation", "not_patentee"):
        svc.listing_submit(listing=listing, by=broker)
    assert Listing.objects.get().status == ListingStatus.DRAFT

    attachment = attachments.listing_attachment_add(listing=listing, by=broker, upload=pdf(), kind=AttachmentKind.AUTHORISATION)
    svc.listing_submit(listing=listing, by=broker)
    svc.listing_review_start(listing=listing, by=operator)
    with breaks("authorisation", "authorisation_not_verified"):
        svc.listing_approve(listing=listing, by=operator)
    assert Listing.objects.get().status == ListingStatus.IN_REVIEW

    attachments.authorisation_accept(attachment=attachment, by=operator, note="与权利人核实无误")
    svc.listing_approve(listing=listing, by=operator)
    assert Listing.objects.get().status == ListingStatus.PUBLISHED


def test_rejected_authorisation_does_not_count(db, operator):
    broker_org = OrganisationFactory()
    broker = MembershipFactory(organisation=broker_org, role=Membership.Role.BROKER).user
    patent = PatentFactory(holders=[OrganisationFactory()])
    listing = editing.listing_create(organisation=broker_org, by=broker, patents=[patent], title="代理挂牌",
                                 deal_type=DealType.ASSIGNMENT)
    attachment = attachments.listing_attachment_add(listing=listing, by=broker, upload=pdf(), kind=AttachmentKind.AUTHORISATION)
    with breaks("reason", "reason_required"):
        attachments.authorisation_reject(attachment=attachment, by=operator, reason=" ")
    attachments.authorisation_reject(attachment=attachment, by=operator, reason="签章与权利人不符")
    attachment.refresh_from_db()
    assert attachment.review_status == ReviewStatus.REJECTED and attachment.reviewed_by == operator
    with pytest.raises(IllegalTransition):
        attachments.authorisation_accept(attachment=attachment, by=operator)
    with breaks("authorisation", "not_patentee"):
        svc.listing_submit(listing=listing, by=broker)


def test_only_operators_verify_authorisations(db, holder, make_listing):
    listing = make_listing()
    attachment = attachments.listing_attachment_add(listing=listing, by=holder, upload=pdf(), kind=AttachmentKind.AUTHORISATION)
    with pytest.raises(NotPermitted):
        attachments.authorisation_accept(attachment=attachment, by=holder)
    attachment.refresh_from_db()
    assert attachment.review_status == ReviewStatus.PENDING


# ---------------------------------------------------------------------------------------------
# Review
# ---------------------------------------------------------------------------------------------
def test_only_operators_review(make_listing, holder, outsider):
    listing = make_listing()
    svc.listing_submit(listing=listing, by=holder)
    for user in (holder, outsider):
        with pytest.raises(NotPermitted):
            svc.listing_review_start(listing=listing, by=user)
    assert Listing.objects.get().status == ListingStatus.SUBMITTED


def test_reject_needs_a_reason_and_sends_it(make_listing, holder, operator):
    listing = make_listing()
    svc.listing_submit(listing=listing, by=holder)
    svc.listing_review_start(listing=listing, by=operator)
    with breaks("reason", "reason_required"):
        svc.listing_reject(listing=listing, by=operator, reason="")
    assert Listing.objects.get().status == ListingStatus.IN_REVIEW
    svc.listing_reject(listing=listing, by=operator, reason="缺少技术说明文件")
    assert listing.status == ListingStatus.REJECTED
    note = Notification.objects.get(recipient=holder, verb="listing.rejected")
    assert note.body == "缺少技术说明文件"
    assert listing.transitions.last().reason == "缺少技术说明文件"
    editing.listing_update(listing=listing, by=holder, description="补充：技术说明见附件")
    svc.listing_submit(listing=listing, by=holder)
    assert listing.status == ListingStatus.SUBMITTED


def test_approval_rechecks_rights(make_listing, holder, operator, patent):
    listing = make_listing()
    svc.listing_submit(listing=listing, by=holder)
    svc.listing_review_start(listing=listing, by=operator)
    patent.legal_status = LegalStatus.LAPSED
    patent.save()
    with breaks("patents", "patent_not_in_force"):
        svc.listing_approve(listing=listing, by=operator)
    assert Listing.objects.get().status == ListingStatus.IN_REVIEW


def test_edit_only_while_draft_or_rejected(make_listing, holder, publish, outsider):
    listing = make_listing()
    with pytest.raises(NotPermitted):
        editing.listing_update(listing=listing, by=outsider, title="篡改")
    publish(listing, owner=holder)
    with pytest.raises(IllegalTransition):
        editing.listing_update(listing=listing, by=holder, title="发布后修改")
    assert Listing.objects.get().title == "纳米银线透明导电膜专利转让"


def test_update_breaking_a_rule_changes_nothing(make_listing, holder):
    listing = make_listing()
    before = snapshot(Listing)
    with breaks("price_amount", "price_not_positive"):
        editing.listing_update(listing=listing, by=holder, title="新标题", price=Money(0))
    assert snapshot(Listing) == before


# ---------------------------------------------------------------------------------------------
# Open licence
# ---------------------------------------------------------------------------------------------
def test_anyone_verified_may_take_an_open_licence(make_listing, holder, publish, demander, demand_org, holder_org):
    listing = make_listing(deal_type=DealType.OPEN_LICENCE, price=Money.parse("20000"), royalty_rate_bps=200)
    publish(listing, owner=holder)
    grants = open_licence.open_licence_take(listing=listing, organisation=demand_org, by=demander)
    assert [g.kind for g in grants] == [LicenceKind.NON_EXCLUSIVE] and grants[0].is_open_licence
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED
    with breaks("organisation", "open_licence_already_taken"):
        open_licence.open_licence_take(listing=listing, organisation=demand_org, by=demander)
    with breaks("organisation", "licensee_is_patentee"):
        open_licence.open_licence_take(listing=listing, organisation=holder_org, by=holder)
    assert LicenceGrant.objects.count() == 1
    assert Notification.objects.filter(recipient=holder, verb="open_licence.taken").exists()


def test_open_licence_take_refused_for_other_deals(make_listing, holder, publish, demander, demand_org):
    listing = make_listing()
    publish(listing, owner=holder)
    with breaks("deal_type", "not_open_licence"):
        open_licence.open_licence_take(listing=listing, organisation=demand_org, by=demander)


# ---------------------------------------------------------------------------------------------
# Leaving force and encumbrance suspend at once; the parties are told
# ---------------------------------------------------------------------------------------------
def test_leaving_force_suspends_and_tells_everyone(make_listing, holder, publish, patent, operator, demander, demand_org):
    listing = make_listing()
    publish(listing, owner=holder)
    svc.listing_negotiation_open(listing=listing, by=holder, counterparty=demand_org)
    suspended = register.patent_legal_status_change(patent=patent, status=LegalStatus.LAPSED, by=operator,
                                               reason="第 6 年年费未缴纳")
    assert [s.pk for s in suspended] == [listing.pk]
    listing.refresh_from_db()
    assert listing.status == ListingStatus.SUSPENDED and not listing.is_public
    step = listing.transitions.last()
    assert (step.action, step.from_status, step.by) == ("suspend", "under_negotiation", operator)
    assert "年费" in step.reason
    assert Notification.objects.filter(recipient=holder, verb="listing.suspended").exists()
    assert Notification.objects.filter(recipient=demander, verb="listing.suspended").exists()
    with breaks("patents", "patent_not_in_force"):
        svc.listing_reinstate(listing=listing, by=operator, reason="复核")


def test_status_change_needs_a_reason_and_an_operator(patent, holder, operator):
    with pytest.raises(NotPermitted):
        register.patent_legal_status_change(patent=patent, status=LegalStatus.LAPSED, by=holder, reason="x")
    with breaks("reason", "reason_required"):
        register.patent_legal_status_change(patent=patent, status=LegalStatus.LAPSED, by=operator, reason="")
    with breaks("status", "invalid_choice"):
        register.patent_legal_status_change(patent=patent, status="sleeping", by=operator, reason="x")
    patent.refresh_from_db()
    assert patent.legal_status == LegalStatus.IN_FORCE


def test_staying_live_suspends_nothing(make_listing, holder, publish, patent):
    listing = make_listing()
    publish(listing, owner=holder)
    assert register.patent_legal_status_change(patent=patent, status=LegalStatus.IN_FORCE, by=None, reason="复核") == []
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED


def test_encumbrance_suspends_and_release_allows_reinstatement(make_listing, holder, publish, patent, operator):
    listing = make_listing()
    publish(listing, owner=holder)
    bank = OrganisationFactory(name="中国银行苏州分行", kind="financial")
    lender = MembershipFactory(organisation=bank, role=Membership.Role.LENDER).user
    pledge = register.encumbrance_register(patent=patent, kind="pledge", by=lender, holder=bank, reference="Y2026320000456")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.SUSPENDED
    assert "质押" in listing.transitions.last().reason
    assert Notification.objects.filter(recipient=holder, verb="listing.suspended").exists()
    with breaks("patents", "patent_encumbered"):
        svc.listing_reinstate(listing=listing, by=operator, reason="复核")
    register.encumbrance_release(encumbrance=pledge, by=lender, reason="贷款已清偿，质押注销")
    with pytest.raises(IllegalTransition):
        register.encumbrance_release(encumbrance=pledge, by=lender)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.SUSPENDED
    assert Notification.objects.filter(recipient=holder, verb="encumbrance.released").exists()
    svc.listing_reinstate(listing=listing, by=operator, reason="质押已注销")
    assert listing.status == ListingStatus.PUBLISHED


def test_only_operator_or_the_pledgee_registers(patent, holder, other_org):
    with pytest.raises(NotPermitted):
        register.encumbrance_register(patent=patent, kind="pledge", by=holder, holder=other_org)
    assert not patent.encumbrances.exists()


def test_expiry_of_listings(make_listing, holder, publish, today):
    listing = make_listing(expires_on=today + dt.timedelta(days=10))
    publish(listing, owner=holder)
    assert svc.listings_expire_due(today=today + dt.timedelta(days=10)) == []
    assert svc.listings_expire_due(today=today + dt.timedelta(days=11)) == [listing.pk]
    listing.refresh_from_db()
    assert listing.status == ListingStatus.EXPIRED
    assert ListingTransition.objects.filter(listing=listing, action="expire", by=None).exists()


def test_expire_trading_command(make_listing, holder, publish, make_demand, demander, publish_demand, today):
    from io import StringIO

    from django.core.management import call_command

    listing = publish(make_listing(expires_on=today + dt.timedelta(days=1)), owner=holder)
    demand = publish_demand(make_demand(deadline=today + dt.timedelta(days=1)), owner=demander)
    Listing.objects.filter(pk=listing.pk).update(expires_on=today - dt.timedelta(days=1))
    type(demand).objects.filter(pk=demand.pk).update(deadline=today - dt.timedelta(days=1))
    out = StringIO()
    call_command("expire_trading", stdout=out)
    assert out.getvalue().strip() == "expired 1 listing(s), 1 demand(s)"
    listing.refresh_from_db()
    demand.refresh_from_db()
    assert (listing.status, demand.status) == ("expired", "expired")


def test_a_portfolio_names_each_patent_once(make_listing, patent):
    with breaks("patents", "patent_duplicated"):
        make_listing(patents=[patent, patent])
    assert not Listing.objects.exists()


def test_authorisation_must_concern_a_patent_of_the_listing(make_listing, holder, holder_org):
    listing = make_listing()
    elsewhere = PatentFactory(holders=[holder_org])
    with breaks("patent", "patent_not_in_listing"):
        attachments.listing_attachment_add(listing=listing, by=holder, upload=pdf(), kind=AttachmentKind.AUTHORISATION,
                                   patent=elsewhere)
    assert not listing.attachments.exists()


def test_expiry_runs_daily_as_a_beat_task(make_listing, holder, publish, make_demand, demander, publish_demand, today):
    from django_celery_beat.models import PeriodicTask

    from listings.matching.tasks import expire_trading
    from marketplace.beat import beat_schedule_sync

    beat_schedule_sync()
    scheduled = PeriodicTask.objects.get(task="listings.expire_trading")
    assert scheduled.enabled and scheduled.crontab.hour == "0"
    listing = publish(make_listing(expires_on=today + dt.timedelta(days=1)), owner=holder)
    demand = publish_demand(make_demand(deadline=today + dt.timedelta(days=1)), owner=demander)
    Listing.objects.filter(pk=listing.pk).update(expires_on=today - dt.timedelta(days=1))
    type(demand).objects.filter(pk=demand.pk).update(deadline=today - dt.timedelta(days=1))

    assert expire_trading.delay().get() == {"listings": 1, "demands": 1}
    assert expire_trading.delay().get() == {"listings": 0, "demands": 0}
