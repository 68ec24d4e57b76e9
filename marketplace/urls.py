"""The URL map. Each app owns its own urls module; Wagtail serves the page tree last."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from marketplace.accounts import django_admin_login, set_language, signup, wagtail_admin_login
from marketplace.health import healthz, liveness
from marketplace.metrics import metrics_view
from marketplace.security_txt import security_txt

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/ready", healthz, name="healthz-ready"),
    path("healthz/live", liveness, name="healthz-live"),
    path("metrics", metrics_view, name="metrics"),
    path(".well-known/security.txt", security_txt, name="security-txt"),
    # staff sign in through allauth (rate limits, two-factor): the admins' own login forms are not reachable
    path("django-admin/login/", django_admin_login, name="django-admin-login"),
    path("django-admin/", admin.site.urls),
    path("admin/login/", wagtail_admin_login, name="wagtail-admin-login"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/signup/", signup, name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("marketplace.api_urls")),
    path("search/", include("search.urls")),
    path("escrow/", include("escrow.settlement.urls")),
    path("", include("marketplace.site_urls")),
    path("", include("listings.urls")),
    path("", include("cms.urls")),
]

# No /media/ route, even with DEBUG: every uploaded file (authorisation PDFs, deal documents) is served only by
# its permission-checked view (marketplace.kernel.uploads.protected_download); Wagtail documents by /documents/.

urlpatterns.append(path("", include(wagtail_urls)))

# 403 and 404: Django's handlers with the site's templates; 500 without the database (marketplace/errors.py)
handler500 = "marketplace.errors.server_error"
