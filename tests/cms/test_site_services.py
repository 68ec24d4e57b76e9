"""ensure_site_pages: the page tree bootstrap calls, run any number of times."""
import pytest
from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page, Site

from cms.models import AgencyDirectoryPage, HomePage, ZoneIndexPage, ZonePage
from cms.services import ensure_site_pages
from tests.factories import ZoneFactory

pytestmark = pytest.mark.django_db


def test_creates_home_as_site_root_replacing_the_welcome_page(zone_db):
    bare = ContentType.objects.get_for_model(Page)
    assert Page.objects.filter(depth=2, content_type=bare).exists()  # Wagtail's welcome page

    result = ensure_site_pages()

    site = Site.objects.get(is_default_site=True)
    assert site.root_page.specific == result.home
    assert isinstance(result.home, HomePage) and result.home.live
    assert not Page.objects.filter(depth=2, content_type=bare).exists()
    assert result.zone_index.get_parent().specific == result.home
    assert {p.zone.code for p in result.zone_pages} == {"Z1", "Z8"}
    assert all(p.get_parent().pk == result.zone_index.pk for p in result.zone_pages)
    assert result.agency_directory.url_path == "/home/agencies/"
    assert len(result.created) == 5  # home, index, two zones, agencies


def test_is_idempotent(zone_db):
    first = ensure_site_pages()
    counts = (Page.objects.count(), HomePage.objects.count(), ZonePage.objects.count())

    second = ensure_site_pages()

    assert second.created == []
    assert (Page.objects.count(), HomePage.objects.count(), ZonePage.objects.count()) == counts
    assert second.home.pk == first.home.pk
    assert Site.objects.count() == 1
    assert ZoneIndexPage.objects.count() == 1 and AgencyDirectoryPage.objects.count() == 1


def test_adds_a_page_for_a_zone_imported_later_and_keeps_operator_edits(zone_db):
    result = ensure_site_pages()
    page = result.zone_pages[0]
    page.title = "运营人员改过的标题"
    page.save_revision().publish()
    ZoneFactory(code="Z4", slug="hangzhou", name_zh="杭州高新区", industry__name_zh="物联网")

    again = ensure_site_pages()

    assert again.created == ["zone page /home/zones/hangzhou/"]
    assert ZonePage.objects.get(pk=page.pk).title == "运营人员改过的标题"


def test_works_on_a_flushed_database_without_root_or_locale(zone_db):
    """Transactional tests flush Wagtail's initial rows; the service rebuilds what it needs."""
    from wagtail.models import Locale

    Site.objects.all().delete()
    Page.objects.all().delete()
    Locale.objects.all().delete()

    result = ensure_site_pages()

    assert Site.objects.get().root_page.specific == result.home
    assert len(result.zone_pages) == 2


def test_home_page_is_served_at_root(site_pages, client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["page"].specific == site_pages.home
