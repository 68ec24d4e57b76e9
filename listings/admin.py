from django.contrib import admin

from listings.models import Industry, IpcEntry, IpcScopeRule, Patent, PatentIpc, PatentPublication, Zone


class PatentIpcInline(admin.TabularInline):
    model = PatentIpc
    extra = 0
    fields = ["position", "code", "is_main"]


class PatentPublicationInline(admin.TabularInline):
    model = PatentPublication
    extra = 0


@admin.register(Patent)
class PatentAdmin(admin.ModelAdmin):
    list_display = ["publication_number", "title", "kind", "legal_status", "application_date", "expiry_date", "is_demo"]
    list_filter = ["kind", "legal_status", "is_demo", "zones"]
    search_fields = ["publication_number", "application_number", "title"]
    readonly_fields = ["expiry_date", "created_at", "updated_at"]
    inlines = [PatentPublicationInline, PatentIpcInline]
    filter_horizontal = ["holders", "industries", "zones"]


@admin.register(IpcEntry)
class IpcEntryAdmin(admin.ModelAdmin):
    list_display = ["code", "level", "title_zh", "title_en"]
    list_filter = ["level"]
    search_fields = ["code", "title_zh", "title_en"]
    raw_id_fields = ["parent"]


class IpcScopeRuleInline(admin.TabularInline):
    model = IpcScopeRule
    extra = 0


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "scheme", "category"]
    list_filter = ["scheme"]
    inlines = [IpcScopeRuleInline]


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "industry", "position"]
    prepopulated_fields = {"slug": ["name_en"]}
