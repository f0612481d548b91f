"""Admin for the pool. Transition buttons run the same services as the pages, so the admin
writes the event log and respects every invariant."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm.admin import FSMAdminMixin
from import_export.admin import ExportMixin

from core.errors import ApplicationError
from core.forms import FRENCH_DECIMALS_IN_ADMIN
from core.views import refusal_message
from documents.resources import CoordinationExportMixin

from .models import (
    Device,
    DeviceEvent,
    ErasureRecord,
    EvidenceFile,
    Part,
    PartUse,
    RefurbishmentRecord,
    StageTime,
    StockLocation,
    StorageMedium,
    UsageProfile,
    WorkTime,
)
from .resources import DeviceResource
from .search import refresh_search_document
from .transitions import DEVICE


class StorageMediumInline(admin.TabularInline):
    model = StorageMedium
    extra = 0
    can_delete = False


class EventInline(admin.TabularInline):
    model = DeviceEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "source_state", "target_state", "actor", "note"]
    readonly_fields = fields
    ordering = ["-id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Device)
class DeviceAdmin(CoordinationExportMixin, ExportMixin, FSMAdminMixin, admin.ModelAdmin):
    resource_classes = [DeviceResource]
    fsm_fields = ["state"]
    list_display = ["public_code", "kind", "brand", "model", "serial", "state", "grade", "owner"]
    list_filter = ["state", "kind", "grade", "owner"]
    search_fields = ["public_code", "serial", "brand", "model"]
    list_select_related = ["owner"]
    readonly_fields = ["public_code", "cycle", "state_changed_at", "created_at"]
    inlines = [StorageMediumInline, EventInline]
    show_full_result_count = False

    def get_fsm_label(self, transition):
        return str(transition.custom.get("label") or transition.name)

    def get_urls(self):
        # django-fsm's page for a transition that takes a form: the admin offers none (those
        # are run from the device page, see below), so the page is not served at all.
        transition = f"{self.model._meta.app_label}_{self.model._meta.model_name}_transition"
        return [url for url in super().get_urls() if getattr(url, "name", "") != transition]

    def _get_fsm_extra_context(self, *, request, obj):
        # Transitions that need a form (erasure, functional test) are run from the device page.
        blocks = super()._get_fsm_extra_context(request=request, obj=obj)
        for block in blocks:
            block.available_transitions = [
                t
                for t in block.available_transitions
                if DEVICE.transitions[t.name].form_kind in (None, "note")
            ]
            if block.available_transitions:
                yield block

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None):
        try:
            # The engine the pages use: the device locked, the role and the conditions
            # checked, the state saved with its event.
            DEVICE.run(obj.pk, transition_name, request.user, **(kwargs or {}))
        except (ApplicationError, ValidationError) as error:
            self.message_user(request, refusal_message(error), level=messages.ERROR)
            return False
        self.message_user(request, _("Action effectuée."), level=messages.SUCCESS)
        return True

    def has_delete_permission(self, request, obj=None):
        return False

    def save_related(self, request, form, formsets, change):
        # The device's fields and media may have changed here: its search words follow.
        super().save_related(request, form, formsets, change)
        refresh_search_document(form.instance.pk)


@admin.register(DeviceEvent)
class DeviceEventAdmin(admin.ModelAdmin):
    list_display = ["at", "device", "action", "source_state", "target_state", "actor"]
    list_filter = ["action"]
    list_select_related = ["device", "actor"]
    raw_id_fields = ["device"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _evidence_link(evidence: EvidenceFile | None) -> str:
    """A link to the application's download of a kept file: storage is not served under
    MEDIA_URL (it holds logs with serial numbers), so a FileField's own link is a 404."""
    if evidence is None:
        return "–"
    url = reverse(
        "parc:evidence_download",
        kwargs={"code": evidence.device.public_code, "pk": evidence.pk},
    )
    return format_html(
        '<a href="{}">{}</a><br><small>SHA-256 {}</small>',
        url,
        evidence.original_name,
        evidence.sha256,
    )


@admin.register(ErasureRecord)
class ErasureRecordAdmin(admin.ModelAdmin):
    list_display = ["serial", "media_type", "level", "method", "tool", "result", "ended_at"]
    list_filter = ["result", "level", "method"]
    raw_id_fields = ["medium"]
    list_select_related = ["medium"]
    # The stored path ("report") is replaced by a link that works.
    exclude = ["report", "evidence"]
    readonly_fields = ["tool_log"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("evidence__device")

    @admin.display(description=gettext_lazy("journal de l'outil"))
    def tool_log(self, obj):
        return _evidence_link(obj.evidence)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EvidenceFile)
class EvidenceFileAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "device", "tool", "size", "uploaded_at", "staged"]
    list_filter = ["kind", "tool"]
    list_select_related = ["device"]
    search_fields = ["original_name", "sha256", "device__public_code"]
    exclude = ["file"]
    readonly_fields = ["download"]
    raw_id_fields = ["device"]
    show_full_result_count = False

    @admin.display(description=gettext_lazy("fichier"))
    def download(self, obj):
        return _evidence_link(obj)

    @admin.display(boolean=True, description=gettext_lazy("en attente"))
    def staged(self, obj):
        return obj.staged_until is not None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RefurbishmentRecord)
class RefurbishmentRecordAdmin(admin.ModelAdmin):
    list_display = ["device", "grade", "passed", "technician", "recorded_at"]
    raw_id_fields = ["device"]


@admin.register(StockLocation)
class StockLocationAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "is_active"]
    list_filter = ["organisation"]


@admin.register(UsageProfile)
class UsageProfileAdmin(admin.ModelAdmin):
    """The short list of usage profiles the technicians choose from (issue 15)."""

    list_display = ["label", "level", "description", "position", "is_active"]
    list_editable = ["position", "is_active"]
    prepopulated_fields = {"code": ["label"]}


@admin.register(StageTime)
class StageTimeAdmin(admin.ModelAdmin):
    """The coordination's usual work time per stage and kind (the economics dashboard)."""

    list_display = ["kind", "stage", "minutes"]
    list_editable = ["minutes"]
    list_filter = ["kind", "stage"]


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    formfield_overrides = FRENCH_DECIMALS_IN_ADMIN
    list_display = ["label", "category", "organisation", "unit_cost", "quantity"]
    list_filter = ["category", "organisation"]
    search_fields = ["label"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the services (parc.services.part_use, work_time_record) only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PartUse)
class PartUseAdmin(ReadOnlyAdmin):
    list_display = ["device", "part", "quantity", "unit_cost", "used_at"]
    list_select_related = ["device", "part"]


@admin.register(WorkTime)
class WorkTimeAdmin(ReadOnlyAdmin):
    list_display = ["device", "stage", "minutes", "supported_minutes", "recorded_at"]
    list_select_related = ["device"]
