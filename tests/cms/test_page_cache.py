"""The public page cache: served from the cache until something it shows changes, and never stale after the commit."""
from __future__ import annotations

import pytest
from django.db import transaction

from listings.catalogue import signals as catalogue_signals
from listings.catalogue.models import Patent
from marketplace import pagecache
from tests.factories import PatentFactory, UserFactory
from tests.listings.conftest import holder, holder_org, make_listing, operator, patent, publish  # noqa: F401

pytestmark = pytest.mark.django_db


def cached(response) -> str:
    return response.headers.get("X-Page-Cache", "")


def test_second_visit_is_served_from_the_cache_without_a_query(client, zone_db, django_assert_num_queries):
    assert cached(client.get("/patents/")) == "miss"
    with django_assert_num_queries(0):
        response = client.get("/patents/")
    assert cached(response) == "hit"
    assert "一种基于位置的移动服务推送方法" in response.content.decode()


def test_a_saved_patent_is_shown_once_the_change_commits(client, zone_db, django_capture_on_commit_callbacks):
    client.get("/patents/")
    with django_capture_on_commit_callbacks(execute=True):
        PatentFactory(title="新导入的石墨烯专利")
    response = client.get("/patents/")
    assert cached(response) == "miss"
    assert "新导入的石墨烯专利" in response.content.decode()


def test_a_page_stored_during_the_transaction_is_retired_by_the_commit(client, zone_db, django_capture_on_commit_callbacks):
    """A request that read the rows before the commit stores its page under the in-flight token; the commit retires it."""
    with django_capture_on_commit_callbacks(execute=True):
        renamed = zone_db["patents"][0]
        renamed.title = "改名后的专利"
        renamed.save()
        in_flight = client.get(f"/patents/{renamed.publication_number}/")  # stored under the in-flight token
        assert cached(in_flight) == "miss"
        assert cached(client.get(f"/patents/{renamed.publication_number}/")) == "hit"
    after = client.get(f"/patents/{renamed.publication_number}/")
    assert cached(after) == "miss"


def test_a_bulk_change_announced_by_patents_changed_is_shown(client, zone_db, django_capture_on_commit_callbacks):
    bulk = zone_db["patents"][1]
    client.get(f"/patents/{bulk.publication_number}/")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Patent.objects.filter(pk=bulk.pk).update(title="批量更新的标题")  # no post_save
        catalogue_signals.patents_changed.send(sender=Patent, patent_ids=[bulk.pk])
    assert "批量更新的标题" in client.get(f"/patents/{bulk.publication_number}/").content.decode()


def test_a_published_listing_appears_on_the_board(client, holder, make_listing, publish, django_capture_on_commit_callbacks):  # noqa: F811
    assert cached(client.get("/listings/")) == "miss"
    assert cached(client.get("/listings/")) == "hit"
    listing = make_listing(title="刚刚挂牌的导电膜专利")
    assert "刚刚挂牌的导电膜专利" not in client.get("/listings/").content.decode()  # a draft is not public
    with django_capture_on_commit_callbacks(execute=True):
        publish(listing, owner=holder)
    assert "刚刚挂牌的导电膜专利" in client.get("/listings/").content.decode()


def test_a_wagtail_publish_is_shown_on_the_home_page(client, site_pages, django_capture_on_commit_callbacks):
    client.get("/")
    assert cached(client.get("/")) == "hit"
    home = site_pages.home
    home.intro = "<p>新的首页简介</p>"
    with django_capture_on_commit_callbacks(execute=True):
        home.save_revision(log_action=False).publish(log_action=False)
    assert "新的首页简介" in client.get("/").content.decode()


def test_a_restricted_wagtail_page_is_never_stored(client, site_pages):
    from wagtail.models import PageViewRestriction

    PageViewRestriction.objects.create(page=site_pages.agency_directory, restriction_type="password", password="x")
    url = site_pages.agency_directory.url
    client.get(url)
    assert cached(client.get(url)) == ""


def test_the_search_api_follows_the_index(client, zone_db):
    from search.tasks import index_patents

    client.get("/api/search/patents?q=钛合金")
    assert cached(client.get("/api/search/patents?q=钛合金")) == "hit"
    joint = PatentFactory(title="钛合金人工关节")
    index_patents([joint.pk])  # what the worker runs after the commit
    response = client.get("/api/search/patents?q=钛合金")
    assert cached(response) == "miss"
    assert "钛合金人工关节" in response.content.decode()


def test_signed_in_visitors_are_never_served_or_stored(client, zone_db):
    client.force_login(UserFactory())
    assert cached(client.get("/patents/")) == ""
    assert cached(client.get("/patents/")) == ""


def test_each_visitor_gets_their_own_form_token(zone_db):
    from django.test import Client

    first, second = Client(), Client()
    first.get("/patents/")
    served = second.get("/patents/")
    assert cached(served) == "hit"
    body = served.content.decode()
    assert pagecache.CSRF_PLACEHOLDER.decode() not in body
    token = body.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    # the language switch posts with the token this visitor got, and CSRF accepts it
    second_strict = Client(enforce_csrf_checks=True)
    second_strict.cookies = second.cookies
    response = second_strict.post("/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_matching_writes_keep_the_cache(client, zone_db):
    from listings.matching.models import SavedSearch

    client.get("/patents/")
    SavedSearch.objects.create(user=UserFactory(), name="x", params={})
    assert cached(client.get("/patents/")) == "hit"


def test_a_visitor_without_a_session_is_answered_before_the_middleware_stack(client, zone_db, django_assert_num_queries):
    """The early hit: no session is loaded, no URL resolved, yet the CSRF cookie and form token are the visitor's own."""
    assert cached(client.get("/patents/")) == "miss"
    client.cookies.clear()
    with django_assert_num_queries(0):
        response = client.get("/patents/")
    assert cached(response) == "hit"
    assert response.wsgi_request.resolver_match is None  # answered before URL resolution
    assert not hasattr(response.wsgi_request, "session")  # and before the session middleware
    assert "csrftoken" in response.cookies


def test_an_anonymous_visitor_with_a_session_still_gets_the_stored_page_later_in_the_stack(client, zone_db):
    client.get("/patents/")
    session = client.session
    session["seen"] = True
    session.save()
    client.cookies["sessionid"] = session.session_key
    response = client.get("/patents/")
    assert cached(response) == "hit"
    assert response.wsgi_request.resolver_match is not None


def test_a_local_copy_never_outlives_an_invalidation(client, zone_db):
    client.get("/patents/")
    assert cached(client.get("/patents/")) == "hit"
    pagecache.invalidate()  # as another process (the worker) would, through the shared cache
    assert cached(client.get("/patents/")) == "miss"


def test_an_api_client_with_credentials_is_never_served_or_stored(client, zone_db):
    assert cached(client.get("/api/search/patents", {"q": "移动"})) == "miss"
    answer = client.get("/api/search/patents", {"q": "移动"}, HTTP_AUTHORIZATION="Token not-a-real-one")
    assert cached(answer) == ""
