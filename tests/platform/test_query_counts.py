"""A constant number of queries per page as the data grows: every public page (anonymous, page cache off, so the
view itself runs) and the signed-in pages, counted with 5 and again with 50 patents, listings, demands, matches,
notifications, saved searches and deals. A page whose count grows with the rows has an N+1 to fix."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from listings.catalogue.models import Patent
from listings.deals.services import lifecycle as deal_lifecycle
from listings.demands.models import Demand
from listings.matching.models import DemandMatch, SavedSearch
from listings.trading.models import Listing
from marketplace.models import Notification
from search import get_search_backend
from search.documents import iter_patent_documents
from tests.factories import DemandFactory, ListingFactory, PatentFactory, build_zone_db
from tests.listings.conftest import demand_org, demander, holder, holder_org, operator  # noqa: F401

pytestmark = pytest.mark.django_db
SMALL, LARGE = 5, 50
#: the patents the world grows (held and listed by the holder, found by the search for 电池), beside the five of
#: ``build_zone_db``, so that every page lists some rows at the small size too
GROWN_TITLE = "锂电池电极材料及其制备方法"


@pytest.fixture
def world(settings, holder_org, holder, demand_org, demander, operator):  # noqa: F811
    from cms.services import ensure_site_pages

    settings.PAGE_CACHE_ENABLED = False  # count the view's own queries, not a cache hit's none
    zone_db = build_zone_db()
    pages = ensure_site_pages()
    state = {"zone_db": zone_db, "pages": pages, "holder_org": holder_org, "holder": holder,
             "demand_org": demand_org, "demander": demander, "operator": operator}
    grow(state, SMALL)
    return state


def grow(world: dict, size: int) -> None:
    """Bring every kind of row a page lists up to ``size`` (and index the patents)."""
    zones, industries = world["zone_db"]["zones"], world["zone_db"]["industries"]
    grown = Patent.objects.filter(title__startswith=GROWN_TITLE)
    while grown.count() < size:
        n = grown.count()
        PatentFactory(title=f"{GROWN_TITLE}{n}", ipc=["H01M4/36", "H04W4/02"], zones=[zones["Z1"]],
                      industries=[industries["Z1"]], holders=[world["holder_org"]], applicants=["苏州纳微新材料有限公司"])
    patents = list(grown.order_by("pk"))
    while Listing.objects.count() < size:
        n = Listing.objects.count()
        ListingFactory(organisation=world["holder_org"], patents=[patents[n % len(patents)]], title=f"电池专利转让{n}")
    while Demand.objects.count() < size:
        n = Demand.objects.count()
        DemandFactory(organisation=world["demand_org"], title=f"寻求锂电池材料技术{n}", ipc_codes=["H01M4/00"])
    first_demand = Demand.objects.order_by("pk").first()
    for patent in patents[DemandMatch.objects.filter(demand=first_demand).count():size]:
        DemandMatch.objects.create(demand=first_demand, patent=patent, score=0.7, rank=1, computed_at=timezone.now(),
                                   explanation={"parts": [{"name": "IPC", "share": 1.0, "contribution": 0.7}]})
    for user in (world["holder"], world["demander"]):
        for n in range(Notification.objects.filter(recipient=user).count(), size):
            Notification.objects.create(recipient=user, verb="demand.matches", title=f"通知{n}", url="/")
    for n in range(SavedSearch.objects.filter(user=world["demander"]).count(), size):
        SavedSearch.objects.create(user=world["demander"], name=f"检索{n}", params={"q": "电池"})
    listings = list(Listing.objects.order_by("pk"))
    from listings.deals.models import Deal

    for listing in listings[Deal.objects.count():size]:
        deal_lifecycle.deal_open_from_listing(listing=listing, by=world["demander"], buyer=world["demand_org"],
                                              deal_type="assignment", price_amount=40_000_000, message="希望了解")
    get_search_backend().rebuild(iter_patent_documents())


def public_pages(world: dict) -> list[tuple[str, Callable[[dict], str]]]:
    return [
        ("home", lambda w: "/"),
        ("zone index", lambda w: w["pages"].zone_index.url),
        ("zone page", lambda w: w["pages"].zone_pages[0].url),
        ("patent list", lambda w: "/patents/"),
        ("patent list, filtered", lambda w: "/patents/?zone=Z1&kind=invention"),
        ("patent page", lambda w: Patent.objects.order_by("pk").first().get_absolute_url()),
        ("patent map", lambda w: "/patents/map/"),
        ("search page", lambda w: "/search/?q=%E7%94%B5%E6%B1%A0"),
        ("search API", lambda w: "/api/search/patents?q=%E7%94%B5%E6%B1%A0"),
        ("listing board", lambda w: "/listings/"),
        ("listing page", lambda w: Listing.objects.order_by("pk").first().get_absolute_url()),
        ("demand board", lambda w: "/demands/"),
        ("demand page", lambda w: Demand.objects.order_by("pk").first().get_absolute_url()),
        ("agency directory", lambda w: w["pages"].agency_directory.url),
    ]


SIGNED_IN = [
    ("holder", "home", lambda w: "/"),
    ("holder", "patent list", lambda w: "/patents/"),
    ("holder", "listing board", lambda w: "/listings/"),
    ("holder", "my listings", lambda w: "/me/listings/"),
    ("holder", "my organisations", lambda w: "/me/organisations/"),
    ("holder", "notifications", lambda w: "/me/notifications/"),
    ("holder", "matching demands", lambda w: "/me/matching-demands/"),
    ("holder", "my deals", lambda w: "/me/deals/"),
    ("holder", "listing page (owner)", lambda w: Listing.objects.order_by("pk").first().get_absolute_url()),
    ("demander", "my demands", lambda w: "/me/demands/"),
    ("demander", "demand matches", lambda w: f"/demands/{Demand.objects.order_by('pk').first().pk}/matches/"),
    ("demander", "saved searches", lambda w: "/me/saved-searches/"),
    ("demander", "my deals", lambda w: "/me/deals/"),
    ("demander", "notifications", lambda w: "/me/notifications/"),
    ("operator", "review queue", lambda w: "/review/"),
    ("operator", "operator deals", lambda w: "/deals/operator/"),
]


def _count(client, path: str) -> tuple[int, list[str]]:
    client.get(path)  # warm: per-process caches (content types, Wagtail site) fill on the first request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries), [q["sql"] for q in queries.captured_queries]


def _assert_constant(client, world: dict, path_of: Callable[[dict], str], django_assert_num_queries) -> None:
    path = path_of(world)
    small, _ = _count(client, path)
    grow(world, LARGE)
    path = path_of(world)
    client.get(path)
    with django_assert_num_queries(small):
        response = client.get(path)
    assert response.status_code == 200


@pytest.mark.parametrize("name", [name for name, _ in public_pages({})], ids=[name for name, _ in public_pages({})])
def test_public_page_queries_do_not_grow_with_the_data(client, world, name, django_assert_num_queries):
    path_of = dict(public_pages(world))[name]
    _assert_constant(client, world, path_of, django_assert_num_queries)


@pytest.mark.parametrize("who,name", [(who, name) for who, name, _ in SIGNED_IN], ids=[f"{w}: {n}" for w, n, _ in SIGNED_IN])
def test_signed_in_page_queries_do_not_grow_with_the_data(client, world, who, name, django_assert_num_queries):
    path_of = next(p for w, n, p in SIGNED_IN if (w, n) == (who, name))
    client.force_login(world[who])
    _assert_constant(client, world, path_of, django_assert_num_queries)


def test_the_world_really_grows(world):
    """The counts above compare 5 rows with 50 of every kind the pages list."""
    from listings.deals.models import Deal

    grown = Patent.objects.filter(title__startswith=GROWN_TITLE, holders=world["holder_org"])
    assert grown.count() == Listing.objects.count() == Demand.objects.count() == SMALL
    grow(world, LARGE)
    assert grown.count() == Listing.objects.count() == Demand.objects.count() == LARGE
    assert DemandMatch.objects.count() == Deal.objects.count() == SavedSearch.objects.count() == LARGE
    assert Notification.objects.filter(recipient=world["holder"]).count() >= LARGE
    assert get_search_backend().count() == LARGE + 5
