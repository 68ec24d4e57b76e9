"""The Django admin for organisations and memberships."""
from django.contrib import admin

from marketplace.models import Membership, Organisation


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
