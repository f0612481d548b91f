"""Reads of the scan pages: batches, their lines and counters, the inventory comparison.

Batches belong to one organisation and are seen only by its pool members (technicians,
staff, admins) and superusers; anyone else gets a 404.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from acteurs.models import Organisation
from acteurs.permissions import POOL_ROLES, organisations_with_role

from ..models import TERMINAL_STATES, Device, ScanBatch, ScanLine, ScanOutcome, StockLocation
from ..selectors import devices_visible_to

# The running list shows the latest lines; the counters count them all.
LINES_SHOWN = 200
OPEN_BATCHES_SHOWN = 20
# Each list of the inventory comparison shows at most this many devices, with the total.
SUMMARY_SHOWN = 200
FAILED_OUTCOMES = (ScanOutcome.REFUSED, ScanOutcome.UNKNOWN, ScanOutcome.MISTYPED)


def scan_organisation_ids(user) -> list[int] | None:
    """Organisations whose batches the user may see and run; None means all (superusers)."""
    if user.is_superuser:
        return None
    return organisations_with_role(user, POOL_ROLES)


def can_scan(user) -> bool:
    return user.is_superuser or bool(organisations_with_role(user, POOL_ROLES))


def batch_organisations(user) -> QuerySet[Organisation]:
    org_ids = scan_organisation_ids(user)
    queryset = Organisation.objects.all()
    if org_ids is None:
        queryset = queryset.filter(is_refurbisher=True)
    else:
        queryset = queryset.filter(pk__in=org_ids)
    return queryset.order_by("name")


def batch_locations(user) -> QuerySet[StockLocation]:
    org_ids = scan_organisation_ids(user)
    queryset = StockLocation.objects.filter(is_active=True).select_related("organisation")
    if org_ids is not None:
        queryset = queryset.filter(organisation_id__in=org_ids)
    return queryset.order_by("organisation__name", "name")


def batches_visible_to(user) -> QuerySet[ScanBatch]:
    org_ids = scan_organisation_ids(user)
    queryset = ScanBatch.objects.select_related("organisation", "location", "user")
    if org_ids is not None:
        queryset = queryset.filter(organisation_id__in=org_ids)
    return queryset


def batch_for(user, batch_id: int) -> ScanBatch:
    try:
        return batches_visible_to(user).get(pk=batch_id)
    except ScanBatch.DoesNotExist:
        raise Http404 from None


def open_batches(user, *, limit: int = OPEN_BATCHES_SHOWN) -> list[ScanBatch]:
    """Batches still open, newest first, with their number of lines."""
    return list(
        batches_visible_to(user)
        .filter(closed_at__isnull=True)
        .annotate(line_count=Count("lines"))
        .order_by("-id")[:limit]
    )


def batch_lines(batch: ScanBatch, *, limit: int = LINES_SHOWN) -> list[ScanLine]:
    return list(
        ScanLine.objects.filter(batch=batch).select_related("device").order_by("-id")[:limit]
    )


def batch_counts(batch: ScanBatch) -> dict[str, int]:
    """Applied, failed (refused, unknown or mistyped) and duplicate scans, in one query."""
    return ScanLine.objects.filter(batch=batch).aggregate(
        total=Count("id"),
        applied=Count("id", filter=Q(outcome=ScanOutcome.APPLIED)),
        failed=Count("id", filter=Q(outcome__in=FAILED_OUTCOMES)),
        duplicate=Count("id", filter=Q(outcome=ScanOutcome.DUPLICATE)),
    )


@dataclass
class DeviceGroup:
    devices: list[Device]
    count: int

    @property
    def more(self) -> int:
        return self.count - len(self.devices)


@dataclass
class InventorySummary:
    found: DeviceGroup  # expected here and seen
    missing: DeviceGroup  # expected here, not seen
    unexpected: DeviceGroup  # seen here, recorded elsewhere (or nowhere, or out of the pool)


def _group(queryset: QuerySet[Device], limit: int) -> DeviceGroup:
    devices = list(queryset.order_by("public_code")[:limit])
    count = len(devices) if len(devices) < limit else queryset.count()
    return DeviceGroup(devices, count)


def inventory_summary(batch: ScanBatch, *, limit: int = SUMMARY_SHOWN) -> InventorySummary:
    """Compare the devices seen in an inventory with what its location should hold: the
    devices recorded there that have not left the pool."""
    seen = ScanLine.objects.filter(batch=batch, outcome=ScanOutcome.APPLIED).values("device_id")
    devices = Device.objects.filter(owner_id=batch.organisation_id)
    expected = devices.filter(location_id=batch.location_id).exclude(state__in=TERMINAL_STATES)
    unexpected = (
        devices.filter(pk__in=seen)
        .filter(
            Q(location_id__isnull=True)
            | ~Q(location_id=batch.location_id)
            | Q(state__in=TERMINAL_STATES)
        )
        .select_related("location")
    )
    return InventorySummary(
        found=_group(expected.filter(pk__in=seen), limit),
        missing=_group(expected.exclude(pk__in=seen), limit),
        unexpected=_group(unexpected, limit),
    )


def scanned_device(user, code: str) -> Device | None:
    """The device with this canonical code if the user may see it, else None (another
    organisation's device is as unknown as a code nobody has)."""
    try:
        return devices_visible_to(user).only("id", "public_code", "state").get(public_code=code)
    except Device.DoesNotExist:
        return None


def recent_scans(user, *, limit: int = 8) -> list[ScanLine]:
    """The user's latest scans (their five latest batches), newest first, with the device
    and the batch. Two queries."""
    batches = list(
        ScanBatch.objects.filter(user=user).order_by("-id").values_list("pk", flat=True)[:5]
    )
    if not batches:
        return []
    return list(
        ScanLine.objects.filter(batch_id__in=batches)
        .select_related("device", "batch")
        .order_by("-id")[:limit]
    )
