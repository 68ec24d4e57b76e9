"""The escrow app's configuration."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscrowConfig(AppConfig):
    name = "escrow"
    verbose_name = _("资金托管")
    default_auto_field = "django.db.models.BigAutoField"
