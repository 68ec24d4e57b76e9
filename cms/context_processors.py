"""Values every page template needs."""
from django.conf import settings


def site(request):
    from listings.models import Patent

    return {
        "SITE_NAME": settings.WAGTAIL_SITE_NAME,
        # Pages that show demo records say so (a machine without ../shared gets generated demo data).
        "DEMO_DATA_PRESENT": Patent.objects.filter(is_demo=True).exists(),
    }
