"""Who sees what: the matches page and API (demand's organisation and operators only; others 404), the
holders' view, saved searches and notifications through pages and the API, and the bell on every page."""
from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from listings.matching.models import DemandMatch, SavedSearch
from listings.matching.services import demand_matches_compute, saved_search_create
from marketplace.models import Membership, Notification, NotificationPreference
from marketplace.notifications import notify
from tests.factories import DemandFactory, MembershipFactory, OrganisationFactory, PatentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(memory_search, index_all):
    buyer, seller, other = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
    member = MembershipFactory(organisation=buyer, role=Membership.Role.DEMAND).user
    holder = MembershipFactory(organisation=seller, role=Membership.Role.HOLDER).user
    outsider = MembershipFactory(organisation=other, role=Membership.Role.DEMAND).user
    operator = MembershipFactory(organisation=OrganisationFactory(), role=Membership.Role.OPERATOR).user
    patent = PatentFactory(title="石墨烯导热膜的制备方法", ipc=["C01B32/184"], holders=[seller])
    index_all()
    demand = DemandFactory(organisation=buyer, title="石墨烯导热膜", problem="手机散热需要高导热石墨烯膜",
                           ipc_codes=["C01B32/00"], visibility="anonymous")
    demand_matches_compute(demand=demand)
    assert DemandMatch.objects.filter(demand=demand, patent=patent).exists()
    return {"demand": demand, "member": member, "holder": holder, "outsider": outsider, "operator": operator,
            "patent": patent}


def _client(user):
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("who", "status"), [("member", 200), ("operator", 200), ("outsider", 404), ("holder", 404)])
def test_matches_page_visibility(setup, client, who, status):
    client.force_login(setup[who])
    response = client.get(reverse("matching:demand-matches", args=[setup["demand"].pk]))
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        assert setup["patent"].publication_number in body
        assert "zp-part-text" in body  # the bar of part shares


def test_matches_page_anonymous_redirects_to_login(setup, client):
    response = client.get(reverse("matching:demand-matches", args=[setup["demand"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(("who", "status"), [("member", 200), ("operator", 200), ("outsider", 404), ("holder", 404)])
def test_matches_api_visibility(setup, who, status):
    response = _client(setup[who]).get(f"/api/demands/{setup['demand'].pk}/matches/")
    assert response.status_code == status
    if status == 200:
        [row] = [r for r in response.json() if r["patent"] == setup["patent"].pk]
        assert row["ipc_level"] == "main_group"
        assert abs(sum(p["share"] for p in row["parts"]) - 1) < 1e-9
        assert row["matched_terms"]


def test_matches_api_unknown_demand_is_404(setup):
    assert _client(setup["member"]).get("/api/demands/999999/matches/").status_code == 404


def test_holders_view_lists_demands_matching_their_patents_and_hides_anonymous_demanders(setup, client):
    client.force_login(setup["holder"])
    body = client.get(reverse("matching:matching-demands")).content.decode()
    assert setup["demand"].title in body
    assert setup["demand"].organisation.name not in body
    client.force_login(setup["outsider"])
    assert setup["demand"].title not in client.get(reverse("matching:matching-demands")).content.decode()


def test_saved_searches_are_private(setup):
    mine = saved_search_create(user=setup["member"], name="石墨烯", scope="patents", params={"q": "石墨烯"})
    outsider = _client(setup["outsider"])
    assert outsider.get(f"/api/saved-searches/{mine.pk}/").status_code == 404
    assert outsider.delete(f"/api/saved-searches/{mine.pk}/").status_code == 404
    assert outsider.get("/api/saved-searches/").json()["results"] == []
    assert SavedSearch.objects.filter(pk=mine.pk).exists()
    me = _client(setup["member"])
    assert [s["name"] for s in me.get("/api/saved-searches/").json()["results"]] == ["石墨烯"]
    assert me.patch(f"/api/saved-searches/{mine.pk}/", {"frequency": "weekly"}, format="json").json()["frequency"] == "weekly"
    assert me.delete(f"/api/saved-searches/{mine.pk}/").status_code == 204


def test_saved_search_api_names_bad_fields(setup):
    me = _client(setup["member"])
    response = me.post("/api/saved-searches/", {"name": "x", "scope": "galaxies"}, format="json")
    assert response.status_code == 400 and "scope" in response.json()
    me.post("/api/saved-searches/", {"name": "dup", "scope": "patents", "params": {"q": "a"}}, format="json")
    response = me.post("/api/saved-searches/", {"name": "dup", "scope": "patents"}, format="json")
    assert response.status_code == 400 and "name" in response.json()


def test_save_current_search_page_flow(setup, client):
    client.force_login(setup["member"])
    page = client.get(reverse("matching:saved-search-list") + "?scope=patents&q=石墨烯&ipc=C01B&sort=newest")
    assert 'name="param_q" value="石墨烯"' in page.content.decode()
    response = client.post(reverse("matching:saved-search-list"),
                           {"scope": "patents", "param_q": "石墨烯", "param_ipc": "C01B", "name": "膜", "frequency": "weekly"})
    assert response.status_code == 302
    saved = SavedSearch.objects.get(user=setup["member"])
    assert saved.params == {"q": "石墨烯", "ipc": "C01B"} and saved.frequency == "weekly"
    client.force_login(setup["outsider"])
    assert client.post(reverse("matching:saved-search-delete", args=[saved.pk])).status_code == 404
    client.force_login(setup["member"])
    client.post(reverse("matching:saved-search-delete", args=[saved.pk]))
    assert not SavedSearch.objects.exists()


def test_notification_api_and_pages_are_per_user(setup, client, django_capture_on_commit_callbacks):
    [theirs] = notify(users=[setup["outsider"]], verb="demand.matches", title="theirs")
    [mine] = notify(users=[setup["member"]], verb="demand.matches", title="mine")
    me = _client(setup["member"])
    ids = {n["id"] for n in me.get("/api/notifications/").json()["results"]}
    assert mine.pk in ids and theirs.pk not in ids
    assert me.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    unread_before = Notification.objects.filter(recipient=setup["member"], read_at__isnull=True).count()
    assert me.post(f"/api/notifications/{mine.pk}/read/").json()["unread"] == unread_before - 1
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    client.force_login(setup["member"])
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    page = client.get(reverse("notifications:list")).content.decode()
    assert "mine" in page and "theirs" not in page


def test_preferences_page_and_api(setup, client):
    client.force_login(setup["member"])
    assert client.get(reverse("notifications:preferences")).status_code == 200
    client.post(reverse("notifications:preferences"), {"muted_verbs": ["saved_search.alert"], "email_enabled": "on"})
    pref = NotificationPreference.objects.get(user=setup["member"])
    assert pref.email_enabled and pref.muted_verbs == ["saved_search.alert"]
    me = _client(setup["member"])
    assert me.put("/api/notifications/preferences/", {"email_enabled": False, "muted_verbs": []}, format="json").status_code == 200
    assert not NotificationPreference.objects.get(user=setup["member"]).email_enabled
    bad = me.put("/api/notifications/preferences/", {"email_enabled": True, "muted_verbs": ["nope"]}, format="json")
    assert bad.status_code == 400 and "muted_verbs" in bad.json()


def test_bell_is_on_pages_for_signed_in_users_only(setup, client):
    notify(users=[setup["member"]], verb="demand.matches", title="铃铛里的通知")
    unread = Notification.objects.filter(recipient=setup["member"], read_at__isnull=True).count()
    client.force_login(setup["member"])
    body = client.get(reverse("notifications:preferences")).content.decode()
    assert "data-zp-bell" in body and f'data-unread="{unread}"' in body and "铃铛里的通知" in body
    assert "marketplace/bell.js" in body
    client.logout()
    assert "data-zp-bell" not in client.get("/accounts/login/").content.decode()


def test_holders_view_recommends_to_the_demand_firm_through_the_deal_view(setup, client):
    from listings.deals.models import Deal, DealStatus

    match = DemandMatch.objects.get(demand=setup["demand"], patent=setup["patent"])
    client.force_login(setup["holder"])
    body = client.get(reverse("matching:matching-demands")).content.decode()
    action = reverse("listings:deals:deal-open-match", args=[match.pk])
    assert f'action="{action}"' in body and "推荐给需求方" in body
    seller = setup["patent"].holders.get()
    response = client.post(action, {"organisation": seller.pk, "deal_type": "assignment", "licence_kind": "",
                                    "message": "该专利可满足贵方散热需求"})
    deal = Deal.objects.get(match=match)
    assert response.status_code == 302 and response["Location"] == deal.get_absolute_url()
    assert deal.seller == seller and deal.buyer == setup["demand"].organisation and deal.status == DealStatus.ENQUIRY


def test_recommend_is_refused_for_an_organisation_that_does_not_hold_the_patent(setup, client):
    from listings.deals.models import Deal

    match = DemandMatch.objects.get(demand=setup["demand"], patent=setup["patent"])
    stranger_org = OrganisationFactory()
    stranger = MembershipFactory(organisation=stranger_org, role=Membership.Role.HOLDER).user
    client.force_login(stranger)
    assert "推荐给需求方" not in client.get(reverse("matching:matching-demands")).content.decode()
    response = client.post(reverse("listings:deals:deal-open-match", args=[match.pk]),
                           {"organisation": stranger_org.pk, "deal_type": "assignment"})
    assert response.status_code == 302 and not Deal.objects.exists()


@pytest.mark.parametrize("status", ["draft", "submitted", "rejected", "withdrawn"])
def test_matches_follow_the_demands_permission(setup, client, status):
    """A lender of the demand's organisation may not see its private (unpublished) demand, nor its matches."""
    from listings.demands.models import Demand

    demand = setup["demand"]
    Demand.objects.filter(pk=demand.pk).update(status=status)
    lender = MembershipFactory(organisation=demand.organisation, role=Membership.Role.LENDER).user
    client.force_login(lender)
    assert client.get(f"/demands/{demand.pk}/").status_code == 404
    assert client.get(reverse("matching:demand-matches", args=[demand.pk])).status_code == 404
    assert _client(lender).get(f"/api/demands/{demand.pk}/matches/").status_code == 404
    # the demand role still sees them; and a lender sees those of a published demand, as anyone sees the demand
    assert _client(setup["member"]).get(f"/api/demands/{demand.pk}/matches/").status_code == 200
    Demand.objects.filter(pk=demand.pk).update(status="published")
    assert _client(lender).get(f"/api/demands/{demand.pk}/matches/").status_code == 200
