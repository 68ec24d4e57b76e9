"""The settlement app config (label ``settlement``): joins the deals domain, the ledger and the rails."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "escrow.settlement"
    label = "settlement"
    verbose_name = _("托管与结算")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from escrow.ledger import checks
        from escrow.settlement import console, receivers, selectors
        from listings.deals.services import lifecycle

        lifecycle.register_settlement(receivers.settles)
        receivers.connect()
        console.register()
        checks.register("each escrow holds what its milestones say", selectors.escrow_held_breaches)
        checks.register("each confirmed rail instruction is posted once", selectors.rail_posting_breaches)
