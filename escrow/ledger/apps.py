"""The ledger's app config (label ``ledger``)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "escrow.ledger"
    label = "ledger"
    verbose_name = _("复式记账")
    default_auto_field = "django.db.models.BigAutoField"
