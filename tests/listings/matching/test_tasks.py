"""Both directions as Celery tasks (eager in the suite): a demand's matches are computed and stored,
a new listing tells the demands it matches; saved-search alerts fire once per new hit; e-mail follows
the user's preference."""
from __future__ import annotations

import pytest
from django.core import mail

from listings.matching.models import DemandMatch, SavedSearch
from listings.matching.services import (
    NOTIFY_THRESHOLD,
    demand_matches_refresh_on_commit,
    listing_published_on_commit,
    saved_search_alerts_run,
    saved_search_create,
)
from marketplace.inbox import notification_preference_update
from marketplace.kernel.money import Money
from marketplace.models import Membership, Notification
from marketplace.notifications import notify
from tests.factories import (
    DemandFactory,
    ListingFactory,
    MembershipFactory,
    OrganisationFactory,
    PatentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(memory_search, index_all):
    buyer = OrganisationFactory(name="需求企业")
    seller = OrganisationFactory(name="权利人大学")
    member = MembershipFactory(organisation=buyer, role=Membership.Role.DEMAND).user
    holder_user = MembershipFactory(organisation=seller, role=Membership.Role.HOLDER).user
    patents = [
        PatentFactory(title="锂电池正极材料的包覆方法", abstract="提高锂电池正极材料循环寿命的包覆方法", ipc=["H01M4/36"],
                      holders=[seller]),
        PatentFactory(title="锂电池电解液添加剂", ipc=["H01M10/0567"], holders=[seller]),
        PatentFactory(title="一种光纤连接器", ipc=["G02B6/38"]),
    ]
    index_all()
    return {"buyer": buyer, "seller": seller, "member": member, "holder": holder_user, "patents": patents}


def test_demand_matches_are_computed_as_a_task_and_stored(world, django_capture_on_commit_callbacks):
    demand = DemandFactory(organisation=world["buyer"], title="锂电池正极材料", problem="正极材料循环寿命短，需要包覆改性技术",
                           ipc_codes=["H01M4/00"])
    with django_capture_on_commit_callbacks(execute=True):
        demand_matches_refresh_on_commit(demand=demand)
    rows = list(DemandMatch.objects.filter(demand=demand, is_current=True).order_by("rank"))
    assert rows[0].patent == world["patents"][0]
    assert rows[0].explanation["ipc_level"] == "main_group"
    assert sum(p["contribution"] for p in rows[0].parts) == pytest.approx(rows[0].score)
    assert world["patents"][2].pk not in {r.patent_id for r in rows}
    told = Notification.objects.filter(recipient=world["member"], verb="demand.matches")
    assert told.count() == 1
    assert world["patents"][0].publication_number in told.get().body
    assert rows[0].notified_at is not None


def test_recomputing_does_not_announce_the_same_match_twice(world, django_capture_on_commit_callbacks):
    demand = DemandFactory(organisation=world["buyer"], title="锂电池正极材料包覆", ipc_codes=["H01M4/36"])
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            demand_matches_refresh_on_commit(demand=demand)
    assert Notification.objects.filter(recipient=world["member"], verb="demand.matches").count() == 1


def test_draft_demand_gets_matches_but_nobody_is_told(world, django_capture_on_commit_callbacks):
    demand = DemandFactory(organisation=world["buyer"], title="锂电池正极材料包覆", ipc_codes=["H01M4/36"], status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        demand_matches_refresh_on_commit(demand=demand)
    assert DemandMatch.objects.filter(demand=demand).exists()
    assert not Notification.objects.exists()


def test_new_listing_notifies_the_demands_it_matches(world, django_capture_on_commit_callbacks):
    fitting = DemandFactory(organisation=world["buyer"], title="锂电池电解液添加剂", problem="电解液高温分解",
                            ipc_codes=["H01M10/05"], deal_types=["licence"], budget_max=50_000_00)
    unrelated = DemandFactory(organisation=OrganisationFactory(), title="光学镜头镀膜", ipc_codes=["G02B1/11"])
    unrelated_member = MembershipFactory(organisation=unrelated.organisation, role=Membership.Role.DEMAND).user
    listing = ListingFactory(organisation=world["seller"], patents=[world["patents"][1]], deal_type="licence",
                             price_amount=30_000_00, title="电解液添加剂专利许可")
    with django_capture_on_commit_callbacks(execute=True):
        listing_published_on_commit(listing=listing)
    told = Notification.objects.filter(verb="demand.listing_match")
    assert list(told.values_list("recipient_id", flat=True)) == [world["member"].pk]
    assert not Notification.objects.filter(recipient=unrelated_member).exists()
    row = DemandMatch.objects.get(demand=fitting, patent=world["patents"][1])
    assert row.listing_id == listing.pk
    assert row.score >= NOTIFY_THRESHOLD
    assert row.explanation["price_fit"]["status"] == "within"
    assert row.explanation["deal_type_fit"]["status"] == "fits"
    # publishing again (or a retry of the task) tells nobody twice
    with django_capture_on_commit_callbacks(execute=True):
        listing_published_on_commit(listing=listing)
    assert told.count() == 1


def test_listing_over_budget_of_the_wrong_kind_does_not_notify(world, django_capture_on_commit_callbacks):
    DemandFactory(organisation=world["buyer"], title="锂电池电解液添加剂", ipc_codes=["H01M10/05"],
                  deal_types=["assignment"], budget_max=1_000_00)
    listing = ListingFactory(organisation=world["seller"], patents=[world["patents"][2]], deal_type="licence",
                             price_amount=900_000_00)
    with django_capture_on_commit_callbacks(execute=True):
        listing_published_on_commit(listing=listing)
    assert not Notification.objects.filter(verb="demand.listing_match").exists()


def test_saved_search_alert_fires_once_per_new_hit(world, index_all, django_capture_on_commit_callbacks):
    user = UserFactory()
    saved = saved_search_create(user=user, name="锂电池", scope="patents", params={"q": "锂电池", "junk": "x"},
                                frequency="hourly")
    assert saved.params == {"q": "锂电池"}
    assert set(saved.seen_ids) == {world["patents"][0].pk, world["patents"][1].pk}
    saved.last_run_at = None
    saved.save()
    assert saved_search_alerts_run() == {saved.pk: []}
    assert not Notification.objects.filter(recipient=user).exists()

    new = PatentFactory(title="锂电池负极硅碳材料", ipc=["H01M4/38"])
    index_all()
    SavedSearch.objects.filter(pk=saved.pk).update(last_run_at=None)
    assert saved_search_alerts_run() == {saved.pk: [new.pk]}
    alert = Notification.objects.get(recipient=user, verb="saved_search.alert")
    assert new.publication_number in alert.body
    SavedSearch.objects.filter(pk=saved.pk).update(last_run_at=None)
    assert saved_search_alerts_run() == {saved.pk: []}
    assert Notification.objects.filter(recipient=user).count() == 1


def test_saved_search_waits_for_its_frequency(world):
    user = UserFactory()
    saved = saved_search_create(user=user, name="daily", scope="patents", params={"q": "锂电池"}, frequency="daily")
    PatentFactory(title="锂电池隔膜")
    assert saved.pk not in saved_search_alerts_run()


def test_listing_saved_search(world):
    user = UserFactory()
    saved = saved_search_create(user=user, name="许可", scope="listings", params={"deal_type": "licence"},
                                frequency="hourly")
    listing = ListingFactory(organisation=world["seller"], patents=[world["patents"][0]], deal_type="licence")
    ListingFactory(organisation=world["seller"], patents=[world["patents"][1]], deal_type="assignment")
    SavedSearch.objects.filter(pk=saved.pk).update(last_run_at=None)
    assert saved_search_alerts_run() == {saved.pk: [listing.pk]}


@pytest.mark.parametrize(
    ("email_enabled", "muted", "sent"),
    [(True, [], 1), (False, [], 0), (True, ["demand.matches"], 0), (True, ["saved_search.alert"], 1)],
)
def test_email_follows_preference(email_enabled, muted, sent, django_capture_on_commit_callbacks):
    user = UserFactory(email="who@example.cn")
    notification_preference_update(user=user, email_enabled=email_enabled, muted_verbs=muted)
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[user], verb="demand.matches", title="新的匹配", body="正文", url="/demands/1/matches/")
    assert len(mail.outbox) == sent
    if sent:
        assert mail.outbox[0].to == ["who@example.cn"]
        assert "新的匹配" in mail.outbox[0].subject
    assert Notification.objects.filter(recipient=user).count() == 1  # in-app always


def test_budget_in_money_from_demand(world):
    from listings.matching.scorer import DemandQuery

    demand = DemandFactory(organisation=world["buyer"], budget_min=100, budget_max=500, deal_types=["licence"])
    query = DemandQuery.from_demand(demand)
    assert query.budget_min == Money(100, "CNY") and query.budget_max == Money(500, "CNY")
    assert query.deal_types == ("licence",)


def test_a_rerun_that_lost_its_notified_mark_tells_nobody_again(memory_search, index_all, django_capture_on_commit_callbacks):
    """The run committed its notification but the mark was lost (a redelivered message replays the whole task)."""
    buyer, seller = OrganisationFactory(), OrganisationFactory()
    member = MembershipFactory(organisation=buyer, role=Membership.Role.DEMAND).user
    PatentFactory(title="锂电池正极材料的包覆方法", abstract="提高锂电池正极材料循环寿命的包覆方法", ipc=["H01M4/36"], holders=[seller])
    index_all()
    demand = DemandFactory(organisation=buyer, title="锂电池正极材料", problem="正极材料循环寿命短，需要包覆改性技术",
                           ipc_codes=["H01M4/00"])
    with django_capture_on_commit_callbacks(execute=True):
        demand_matches_refresh_on_commit(demand=demand)
    assert Notification.objects.filter(recipient=member, verb="demand.matches").count() == 1
    DemandMatch.objects.filter(demand=demand).update(notified_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        demand_matches_refresh_on_commit(demand=demand)
    assert Notification.objects.filter(recipient=member, verb="demand.matches").count() == 1
