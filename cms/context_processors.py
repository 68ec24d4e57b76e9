"""Values every page template needs."""
from django.conf import settings
from django.utils.functional import SimpleLazyObject


def site(request):
    from listings.catalogue.models import Patent

    return {
        "SITE_NAME": settings.WAGTAIL_SITE_NAME,
        # Pages that show demo records say so (a machine without ../shared gets generated demo data).
        "DEMO_DATA_PRESENT": Patent.objects.filter(is_demo=True).exists(),
        "NAV_URLS": SimpleLazyObject(lambda: _navigation_urls(request)),
    }


def _navigation_urls(request) -> dict[str, str]:
    """Where the header's links point: the live Wagtail pages when they exist, else their standard paths.

    Lazy, so Wagtail admin pages (rendered with the same processors) pay nothing for it.
    """
    from cms.models import AgencyDirectoryPage, HomePage, ZoneIndexPage

    def url_of(model, fallback: str) -> str:
        page = model.objects.live().first()
        return (page.get_url(request) if page else None) or fallback

    return {
        "home": url_of(HomePage, "/"),
        "zones": url_of(ZoneIndexPage, "/zones/"),
        "agencies": url_of(AgencyDirectoryPage, "/agencies/"),
    }
