"""Settlement in the admin: operators set the fee schedule and payee accounts; escrows are read-only here
(they move only through the settlement services)."""
from django.contrib import admin

from escrow.settlement.models import Escrow, EscrowMilestone, EscrowTransition, FeeSchedule, PayeeAccount


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    list_display = ("deal_type", "currency", "bps", "minimum_amount", "updated_at")
    list_editable = ("bps", "minimum_amount")


@admin.register(PayeeAccount)
class PayeeAccountAdmin(admin.ModelAdmin):
    list_display = ("organisation", "bank_name", "bank_account_number", "stripe_account")
    search_fields = ("organisation__name", "bank_account_number", "stripe_account")
    raw_id_fields = ("organisation",)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MilestoneInline(admin.TabularInline):
    model = EscrowMilestone
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Escrow)
class EscrowAdmin(ReadOnly):
    list_display = ("deal", "status", "price_amount", "fee_amount", "currency", "funding_deadline")
    list_filter = ("status",)
    inlines = [MilestoneInline]


@admin.register(EscrowTransition)
class EscrowTransitionAdmin(ReadOnly):
    list_display = ("escrow", "action", "from_status", "to_status", "by", "created_at")
