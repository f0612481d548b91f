from django.contrib import admin

from acteurs.admin import HouseholdAccessRecordingMixin

from .models import (
    Assessment,
    AssessmentLevel,
    Enrolment,
    Repair,
    RepairImport,
    Session,
    WorkshopType,
)


@admin.register(WorkshopType)
class WorkshopTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "is_active", "position"]
    list_editable = ["is_active", "position"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    """Read-mostly: sessions are planned and changed on the site, through the services."""

    list_display = ["__str__", "organisation", "facilitator", "capacity"]
    list_filter = ["workshop_type", "organisation"]
    list_select_related = ["workshop_type", "organisation", "facilitator"]
    date_hierarchy = "starts_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(HouseholdAccessRecordingMixin, admin.ModelAdmin):
    list_display = ["household", "session", "status", "attendance"]
    list_filter = ["status", "attendance"]
    list_select_related = ["household", "session", "session__workshop_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AssessmentLevelInline(admin.TabularInline):
    model = AssessmentLevel
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(HouseholdAccessRecordingMixin, admin.ModelAdmin):
    list_display = ["household", "moment", "assessed_on", "organisation"]
    list_filter = ["moment"]
    list_select_related = ["household", "organisation"]
    inlines = [AssessmentLevelInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Repair)
class RepairAdmin(admin.ModelAdmin):
    list_display = ["__str__", "event_date", "organisation", "session", "device", "import_batch"]
    list_filter = ["status", "organisation"]
    list_select_related = [
        "organisation",
        "session",
        "session__workshop_type",
        "device",
        "import_batch",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RepairImport)
class RepairImportAdmin(admin.ModelAdmin):
    """Deleting an import removes its records (a mistaken file can be undone)."""

    list_display = [
        "filename",
        "organisation",
        "status",
        "total_rows",
        "rows",
        "skipped",
        "rejected_rows",
        "imported_at",
    ]
    list_filter = ["status"]
    list_select_related = ["organisation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
