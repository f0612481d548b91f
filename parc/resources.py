"""The device list as a spreadsheet (CSV or XLSX), built on django-import-export.

``DeviceResource`` names the columns (French headers, states, kinds and grades as their
French labels) and renders each device's cells; it serves the list page's export and the
coordination's admin export. The page's export does not call ``Resource.export()``, which
gathers every row into a tablib ``Dataset`` in memory: ``export_rows`` walks the filtered
queryset in chunks (``iterator``, the storage media read per chunk), one row at a time, and
``documents.responses`` writes them (streamed CSV; XLSX in openpyxl's write-only mode,
bounded to ``XLSX_MAX_ROWS``).
"""

from collections import defaultdict
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.widgets import DateTimeWidget, DateWidget, DecimalWidget, IntegerWidget

from documents.resources import NeutralisedExportMixin
from documents.spreadsheets import neutralise

from .models import Device, DeviceKind, Grade, MediaType, State, StorageMedium

CHUNK_SIZE = 2000
# An XLSX file is assembled whole before it is sent; past this, the CSV (streamed) is the way.
XLSX_MAX_ROWS = 100_000


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


class DeviceResource(NeutralisedExportMixin, resources.ModelResource):
    public_code = fields.Field(attribute="public_code", column_name=_("code public"))
    kind = fields.Field(attribute="kind", column_name=_("type"))
    brand = fields.Field(attribute="brand", column_name=_("marque"))
    model = fields.Field(attribute="model", column_name=_("modèle"))
    serial = fields.Field(attribute="serial", column_name=_("n° de série"))
    cpu = fields.Field(attribute="cpu", column_name=_("processeur"))
    ram_gb = fields.Field(attribute="ram_gb", column_name=_("mémoire (Go)"), widget=DecimalWidget())
    storage = fields.Field(column_name=_("stockage"))
    os = fields.Field(attribute="os", column_name=_("système"))
    serial_raw = fields.Field(attribute="serial_raw", column_name=_("n° de série tel que reçu"))
    asset_tag = fields.Field(attribute="asset_tag", column_name=_("n° d'inventaire du donateur"))
    weight_kg = fields.Field(
        attribute="weight_kg", column_name=_("poids (kg)"), widget=DecimalWidget()
    )
    purchase_date = fields.Field(
        attribute="purchase_date", column_name=_("date d'achat"), widget=DateWidget("%d/%m/%Y")
    )
    notes = fields.Field(attribute="notes", column_name=_("remarques"))
    grade = fields.Field(attribute="grade", column_name=_("grade"))
    state = fields.Field(attribute="state", column_name=_("état"))
    location = fields.Field(attribute="location__name", column_name=_("emplacement"))
    owner = fields.Field(attribute="owner__name", column_name=_("organisation"))
    donation = fields.Field(
        attribute="donation_id", column_name=_("don (n°)"), widget=IntegerWidget()
    )
    created_at = fields.Field(
        attribute="created_at",
        column_name=_("enregistré le"),
        widget=DateTimeWidget(format="%d/%m/%Y %H:%M"),
    )

    class Meta:
        model = Device
        fields = (
            "public_code",
            "kind",
            "brand",
            "model",
            "serial",
            "cpu",
            "ram_gb",
            "storage",
            "os",
            "serial_raw",
            "asset_tag",
            "weight_kg",
            "purchase_date",
            "grade",
            "state",
            "location",
            "owner",
            "donation",
            "created_at",
            "notes",
        )
        # Rows read per query by the admin's export.
        chunk_size = CHUNK_SIZE

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Labels looked up once per export: get_FOO_display() rebuilds its dict at each call.
        self._kinds = _labels(DeviceKind.choices)
        self._grades = _labels(Grade.choices)
        self._states = _labels(State.choices)
        self._media_types = _labels(MediaType.choices)
        self._cell_exporters = None

    def filter_export(self, queryset, **kwargs):
        # The admin's export: its change list reads only the owner.
        return queryset.select_related("owner", "location").prefetch_related("storage_media")

    def dehydrate_kind(self, device):
        return self._kinds.get(device.kind, device.kind)

    def dehydrate_grade(self, device):
        return self._grades.get(device.grade, device.grade)

    def dehydrate_state(self, device):
        return self._states.get(device.state, device.state)

    def dehydrate_storage(self, device):
        """Each medium as "SSD NVMe 512 Go": from the (type, capacity) pairs the page's export
        reads per chunk, else from the media prefetched by the admin's export."""
        media = getattr(device, "media_for_export", None)
        if media is None:
            media = [(m.media_type, m.capacity_gb) for m in device.storage_media.all()]
        parts = []
        for media_type, capacity_gb in media:
            label = self._media_types.get(media_type, media_type)
            parts.append(f"{label} {capacity_gb} Go" if capacity_gb else label)
        return " + ".join(parts)

    def export_resource(self, instance, selected_fields=None, **kwargs):
        if selected_fields:
            return super().export_resource(instance, selected_fields, **kwargs)
        # The library looks up each field's name and dehydrate method again for every cell;
        # over a million rows that is most of the time, so they are resolved once.
        if self._cell_exporters is None:
            self._cell_exporters = [
                self._cell_exporter(field) for field in self.get_export_fields()
            ]
        return [
            neutralise(value) if isinstance(value, str) else value
            for value in (export(instance, **kwargs) for export in self._cell_exporters)
        ]

    def _cell_exporter(self, field):
        method = field.get_dehydrate_method(self.get_field_name(field))
        if not callable(method):
            method = getattr(self, method, None)
        if method is not None:
            return lambda instance, **kwargs: method(instance)
        return field.export


def _for_export(queryset: QuerySet[Device]) -> QuerySet[Device]:
    """The list's queryset with what the cells read, in the list's order."""
    return queryset.select_related("owner", "location").order_by("-id")


def _with_media(devices: list[Device]) -> list[Device]:
    """Attach each device's (type, capacity) media pairs, read in one query for the chunk
    (a flat query: Django's prefetch builds a queryset per device)."""
    media = defaultdict(list)
    rows = (
        StorageMedium.objects.filter(device_id__in=[device.pk for device in devices])
        .order_by("id")
        .values_list("device_id", "media_type", "capacity_gb")
    )
    for device_id, media_type, capacity_gb in rows:
        media[device_id].append((media_type, capacity_gb))
    for device in devices:
        device.media_for_export = media.get(device.pk, ())
    return devices


def _devices(queryset: QuerySet[Device]) -> Iterator[Device]:
    """The devices chunk by chunk (a server-side cursor on PostgreSQL): two queries per
    CHUNK_SIZE devices, whatever the size of the list."""
    chunk = []
    for device in queryset.iterator(chunk_size=CHUNK_SIZE):
        chunk.append(device)
        if len(chunk) == CHUNK_SIZE:
            yield from _with_media(chunk)
            chunk = []
    if chunk:
        yield from _with_media(chunk)


def export_rows(
    queryset: QuerySet[Device], *, native: bool = False, limit: int | None = None
) -> Iterator[list]:
    """The headers, then one row per device (cells neutralised), at most ``limit``: nothing
    held but the chunk being read. ``native``: numbers and dates stay numbers and dates."""
    resource = DeviceResource()
    yield resource.get_export_headers()
    options = {"force_native_type": True} if native else {}
    for device in _devices(_for_export(queryset)[:limit]):
        yield resource.export_resource(device, **options)


def exceeds_xlsx_limit(queryset: QuerySet[Device]) -> bool:
    """A bounded count: never counts more than XLSX_MAX_ROWS + 1 rows."""
    return queryset.order_by()[: XLSX_MAX_ROWS + 1].count() > XLSX_MAX_ROWS
