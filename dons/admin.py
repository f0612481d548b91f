"""Admin for gisements and donations. A donation's state changes only through dons.services
(the pages), so the admin shows it read-only."""

from django.contrib import admin
from import_export.admin import ExportMixin

from core.forms import FRENCH_DECIMALS_IN_ADMIN
from documents.resources import CoordinationExportMixin

from .models import (
    Convention,
    Donation,
    DonationDocument,
    DonationEvent,
    DonationLine,
    Gisement,
)
from .resources import DonationResource, GisementResource


class ConventionInline(admin.TabularInline):
    model = Convention
    extra = 0


@admin.register(Gisement)
class GisementAdmin(CoordinationExportMixin, ExportMixin, admin.ModelAdmin):
    resource_classes = [GisementResource]
    list_display = ["name", "donor", "donor_kind", "refurbisher", "frequency", "created_at"]
    list_filter = ["donor_kind", "frequency", "refurbisher"]
    search_fields = ["name", "donor__name", "contact_name"]
    list_select_related = ["donor", "refurbisher"]
    autocomplete_fields = ["commune"]
    raw_id_fields = ["donor", "refurbisher"]
    inlines = [ConventionInline]


class DonationLineInline(admin.TabularInline):
    model = DonationLine
    extra = 0


class DonationDocumentInline(admin.TabularInline):
    model = DonationDocument
    extra = 0
    can_delete = False


class DonationEventInline(admin.TabularInline):
    model = DonationEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "source_state", "target_state", "actor", "note"]
    readonly_fields = fields
    ordering = ["-id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Donation)
class DonationAdmin(CoordinationExportMixin, ExportMixin, admin.ModelAdmin):
    formfield_overrides = FRENCH_DECIMALS_IN_ADMIN
    resource_classes = [DonationResource]
    list_display = ["__str__", "gisement", "state", "pickup_date", "received_on", "created_at"]
    list_filter = ["state"]
    search_fields = ["donor_reference", "gisement__name", "gisement__donor__name"]
    list_select_related = ["gisement"]
    raw_id_fields = ["gisement"]
    readonly_fields = ["state", "state_changed_at", "created_at", "created_by"]
    inlines = [DonationLineInline, DonationDocumentInline, DonationEventInline]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False
