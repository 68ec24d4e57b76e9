"""The Django admin for the listings app: the catalogue editable by operators, trading read-mostly."""
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from listings.catalogue.models import (
    Encumbrance,
    Industry,
    IpcEntry,
    IpcScopeRule,
    LicenceGrant,
    Patent,
    Patentee,
    PatentIpc,
    PatentPatentee,
    PatentPublication,
    Zone,
)
from listings.catalogue.services import register
from listings.demands.models import Demand, DemandTransition
from listings.trading.models import Listing, ListingAttachment, ListingTransition
from marketplace.kernel.errors import DomainError


class PatentIpcInline(admin.TabularInline):
    model = PatentIpc
    extra = 0
    fields = ["position", "code", "is_main"]


class PatentPublicationInline(admin.TabularInline):
    model = PatentPublication
    extra = 0


class PatentPatenteeInline(admin.TabularInline):
    """Applicants come from the sources; new owners are recorded with ``patent_owner_record``: shown, not edited."""

    model = PatentPatentee
    extra = 0
    can_delete = False
    fields = ("position", "patentee", "role", "recorded_by", "recorded_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PatentAdminForm(forms.ModelForm):
    """A change of legal status needs its grounds, and goes through ``patent_legal_status_change``."""

    legal_status_reason = forms.CharField(
        label=_("法律状态变更依据"), required=False, max_length=500,
        help_text=_("变更法律状态时必填，例如公告号或通知书；失效的专利会立即暂停其挂牌并通知各方"),
    )

    class Meta:
        model = Patent
        fields = "__all__"  # noqa: DJ007  # the ModelAdmin decides the fields shown; this form adds one

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk and "legal_status" in self.changed_data and not (cleaned.get("legal_status_reason") or "").strip():
            self.add_error("legal_status_reason", _("变更法律状态须填写依据"))
        return cleaned


@admin.register(Patent)
class PatentAdmin(admin.ModelAdmin):
    list_display = [
        "publication_number", "title", "kind", "legal_status", "legal_status_text", "application_year", "expiry_date",
        "expiry_year", "is_demo",
    ]
    list_filter = ["kind", "legal_status", "legal_status_text", "is_demo", "zones"]
    search_fields = ["publication_number", "application_number", "title"]
    readonly_fields = ["application_year", "expiry_date", "expiry_year", "sources", "created_at", "updated_at"]
    inlines = [PatentPublicationInline, PatentIpcInline, PatentPatenteeInline]
    filter_horizontal = ["holders", "industries", "zones"]
    form = PatentAdminForm

    def save_model(self, request: HttpRequest, obj: Patent, form: forms.ModelForm, change: bool) -> None:
        """Other fields are saved as edited; a new legal status is recorded by the one service that changes it,
        so a lapse entered here suspends the patent's listings and tells the parties."""
        if not (change and "legal_status" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        new_status = obj.legal_status
        obj.legal_status = Patent.objects.values_list("legal_status", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        stopped = register.patent_legal_status_change(
            patent=obj, status=new_status, by=request.user, reason=form.cleaned_data["legal_status_reason"],  # type: ignore[arg-type]
        )
        if stopped:
            self.message_user(request, _("已暂停 %(n)d 个挂牌并通知相关机构") % {"n": len(stopped)}, messages.WARNING)


@admin.register(Patentee)
class PatenteeAdmin(admin.ModelAdmin):
    """Operators confirm here that a registered organisation is a patentee (an action, through the service)."""

    list_display = ["name", "uscc", "organisation", "linked_by", "linked_at"]
    list_filter = [("organisation", admin.EmptyFieldListFilter)]
    search_fields = ["name", "normalised_name", "uscc", "organisation__name"]
    readonly_fields = ["name", "normalised_name", "organisation", "linked_by", "linked_at", "created_at"]
    fields = ["name", "normalised_name", "uscc", "organisation", "linked_by", "linked_at", "created_at"]
    actions = ["confirm_link", "revoke_link"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("确认与同名或同统一社会信用代码的会员机构关联"))
    def confirm_link(self, request, queryset):
        from listings.catalogue.selectors import patentee_candidates
        from listings.catalogue.services.patentees import patentee_link_confirm

        for patentee in queryset:
            candidates = list(patentee_candidates(patentee=patentee))
            if len(candidates) != 1:
                self.message_user(
                    request,
                    _("“%(name)s”：找到 %(n)d 个同名或同代码的机构，需恰好一个") % {"name": patentee.name, "n": len(candidates)},
                    messages.WARNING,
                )
                continue
            try:
                patentee_link_confirm(organisation=candidates[0], patentee=patentee, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{patentee.name}: {exc}", messages.ERROR)
                continue
            self.message_user(
                request, _("已确认：%(org)s 是申请人 %(name)s") % {"org": candidates[0].name, "name": patentee.name},
                messages.SUCCESS,
            )

    @admin.action(description=_("撤销与会员机构的关联"))
    def revoke_link(self, request, queryset):
        from listings.catalogue.services.patentees import patentee_link_revoke

        for patentee in queryset.exclude(organisation=None):
            patentee_link_revoke(patentee=patentee, by=request.user)
        self.message_user(request, _("已撤销所选申请人的机构关联"), messages.SUCCESS)


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


# --------------------------------------------------------------------------------------------
# Trading: read-mostly views for operators; status changes go through the services and the
# review queue (/review/), never through admin edits, so the audit trail stays whole.
# --------------------------------------------------------------------------------------------


ATTACHMENT_FIELDS = ("kind", "original_name", "content_type", "size", "review_status", "reviewed_by", "review_note")


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: rules and audit rows are written by services, which admin forms would bypass."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ListingTransitionInline(admin.TabularInline):
    model = ListingTransition
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "by", "reason", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class ListingAttachmentInline(admin.TabularInline):
    model = ListingAttachment
    extra = 0
    can_delete = False
    fields = ATTACHMENT_FIELDS
    readonly_fields = ATTACHMENT_FIELDS

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Listing)
class ListingAdmin(ReadOnlyAdmin):
    list_display = ["title", "organisation", "deal_type", "licence_kind", "price_amount", "status", "published_at"]
    list_filter = ["status", "deal_type", "licence_kind"]
    search_fields = ["title", "organisation__name", "patents__publication_number"]
    readonly_fields = ["status", "published_at", "submitted_at", "close_outcome", "created_by"]
    raw_id_fields = ["organisation"]
    inlines = [ListingAttachmentInline, ListingTransitionInline]


class DemandTransitionInline(admin.TabularInline):
    model = DemandTransition
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "by", "reason", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Demand)
class DemandAdmin(ReadOnlyAdmin):
    list_display = ["title", "organisation", "visibility", "deadline", "status", "published_at"]
    list_filter = ["status", "visibility"]
    search_fields = ["title", "problem", "organisation__name"]
    readonly_fields = ["status", "published_at", "submitted_at", "created_by"]
    raw_id_fields = ["organisation"]
    inlines = [DemandTransitionInline]


@admin.register(LicenceGrant)
class LicenceGrantAdmin(ReadOnlyAdmin):
    list_display = ["patent", "kind", "licensee_name", "territory", "term_start", "term_end", "active"]
    list_filter = ["kind", "active", "is_open_licence"]
    raw_id_fields = ["patent", "listing", "licensor", "licensee"]


@admin.register(Encumbrance)
class EncumbranceAdmin(ReadOnlyAdmin):
    """Registered and released through ``encumbrance_register``/``encumbrance_release`` so listings are suspended."""

    list_display = ["patent", "kind", "holder", "reference", "active", "registered_at", "released_at"]
    list_filter = ["kind", "active"]
