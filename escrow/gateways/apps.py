"""The payment rails' app config (label ``gateways``)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GatewaysConfig(AppConfig):
    name = "escrow.gateways"
    label = "gateways"
    verbose_name = _("支付通道")
    default_auto_field = "django.db.models.BigAutoField"
