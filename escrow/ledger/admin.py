"""The ledger in the admin: read-only (entries are append-only; corrections are reversing transactions)."""
from django.contrib import admin

from escrow.ledger.models import Account, Entry, LedgerTransaction


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ("type", "key", "currency", "name")
    list_filter = ("type", "currency")


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnly):
    list_display = ("pk", "kind", "currency", "subject", "reference", "created_at")
    list_filter = ("kind",)
    search_fields = ("reference", "subject", "memo")
    inlines = [EntryInline]
