"""The cms app's configuration (cache invalidation receivers connect in ``ready``)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("展示网站")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms import cache_receivers

        cache_receivers.connect()
