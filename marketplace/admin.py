"""The Django admin for organisations and memberships, and (read-only) the tasks the task outbox still owes."""
from django.contrib import admin

from marketplace.models import Membership, Organisation, OutboxTask


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "uscc", "industry_field", "is_verified", "zone"]
    list_filter = ["kind", "is_verified", "zone"]
    search_fields = ["name", "name_en", "uscc"]
    inlines = [MembershipInline]


@admin.register(OutboxTask)
class OutboxTaskAdmin(admin.ModelAdmin):
    """What the outbox still owes, for looking at stuck or failed tasks; ``manage.py task_outbox`` sends them again."""

    list_display = ["task", "args", "created_at", "published_at", "publish_count", "claimed_by", "claimed_at", "failed_at"]
    list_filter = ["task"]
    search_fields = ["id", "task", "claimed_by", "error"]
    readonly_fields = [field.name for field in OutboxTask._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
