"""Wagtail admin screens for the reference data the exhibition pages show.

Operators correct zone names and maintain the service-agency directory here. Organisation
verification is not editable on these screens: it goes through the marketplace's review service,
which keeps the audit trail.
"""
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from listings.catalogue.models import Zone
from marketplace.models import Organisation


class ZoneViewSet(ModelViewSet):
    model = Zone
    icon = "site"
    menu_label = _("实验区")
    form_fields = ["name_zh", "name_en", "short_name_zh", "position"]
    list_display = ["code", "name_zh", "name_en", "industry", "position"]
    search_fields = ["code", "name_zh", "name_en"]
    copy_view_enabled = False


class ServiceAgencyIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().filter(kind=Organisation.Kind.SERVICE_AGENCY)


class ServiceAgencyViewSet(ModelViewSet):
    """The 服务机构名录 as operators maintain it: service agencies only, directory fields only."""

    model = Organisation
    icon = "group"
    menu_label = _("服务机构名录")
    url_namespace = "cms_service_agencies"
    index_view_class = ServiceAgencyIndexView
    form_fields = [
        "name", "name_en", "kind", "zone", "industry_field", "description", "services", "pilot_programmes",
        "contact", "remark", "source",
    ]
    list_display = ["name", "zone", "industry_field", "is_verified"]
    list_filter = ["zone"]
    search_fields = ["name", "name_en", "industry_field", "description"]
    copy_view_enabled = False


class SiteDataGroup(ModelViewSetGroup):
    menu_label = _("展示网站数据")
    menu_icon = "folder-open-inverse"
    menu_order = 300
    items = (ZoneViewSet("zones"), ServiceAgencyViewSet("service-agencies"))


@hooks.register("register_admin_viewset")
def register_site_data_viewsets():
    return SiteDataGroup()


@hooks.register("before_serve_page")
def allow_page_cache(page, request, serve_args, serve_kwargs):
    """A page with no view restriction may be shared from the public page cache (marketplace/pagecache.py)."""
    from marketplace import pagecache

    if not page.get_view_restrictions().exists():
        setattr(request, pagecache.REQUEST_FLAG, True)
