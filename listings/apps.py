from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListingsConfig(AppConfig):
    name = "listings"
    verbose_name = _("专利数据库与挂牌")
    default_auto_field = "django.db.models.BigAutoField"
