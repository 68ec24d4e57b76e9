"""The rails' records in the admin: read-only (they change only through the rails)."""
from django.contrib import admin

from escrow.gateways.models import BankStatementLine, RailEvent, RailInstruction


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RailInstruction)
class RailInstructionAdmin(ReadOnly):
    list_display = ("reference", "rail", "kind", "group", "amount", "currency", "status", "external_id")
    list_filter = ("rail", "kind", "status")
    search_fields = ("reference", "group", "external_id")


@admin.register(RailEvent)
class RailEventAdmin(ReadOnly):
    list_display = ("rail", "event_id", "type", "outcome", "received_at")
    list_filter = ("rail", "outcome")


@admin.register(BankStatementLine)
class BankStatementLineAdmin(ReadOnly):
    list_display = ("statement", "line_number", "bank_txn_id", "reference", "amount", "status", "note")
    list_filter = ("status",)
