"""The marketplace app's configuration."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("交易市场")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from marketplace import metrics, observability, outbox

        metrics.connect_celery()
        observability.connect_celery()
        outbox.connect_celery()
