"""The pool's models, one module per subject; every public name is re-exported here so
``from parc.models import X`` works whichever module defines X. App label: ``parc``.

- ``device``: devices, their vocabulary (kinds, grades, states), stock locations, the
  transition permissions and the search keys;
- ``media``: storage media and erasure records;
- ``refurbishment``: functional tests;
- ``events``: the append-only device event log;
- ``evidence``: evidence files (hardware reports, erasure logs) with their checksum;
- ``scanning``: scan batches and their lines;
- ``labels``: label sheets built in the background.

Donors' inventory-list imports are the ``intake`` app's.
"""

from .device import (
    KINDS_WITH_STORAGE,
    SEARCH_KEY_IGNORED,
    TERMINAL_STATES,
    WAITING_STATES,
    Device,
    DeviceKind,
    Grade,
    State,
    StateChangeWithoutEvent,
    StockLocation,
    can_run_any_transition,
    can_run_workshop_transition,
    search_key,
    to_search_key,
)
from .events import DeviceEvent, EventQuerySet
from .evidence import EvidenceFile, EvidenceKind
from .labels import LabelJob, LabelJobStatus
from .media import (
    ErasureRecord,
    ErasureResult,
    MediaType,
    PostSanitizationDestination,
    SanitizationLevel,
    SanitizationMethod,
    SmartStatus,
    StorageMedium,
    Verification,
)
from .refurbishment import RefurbishmentRecord
from .scanning import ScanAction, ScanBatch, ScanLine, ScanOutcome

__all__ = [
    "KINDS_WITH_STORAGE",
    "SEARCH_KEY_IGNORED",
    "TERMINAL_STATES",
    "WAITING_STATES",
    "Device",
    "DeviceEvent",
    "DeviceKind",
    "ErasureRecord",
    "ErasureResult",
    "EventQuerySet",
    "EvidenceFile",
    "EvidenceKind",
    "Grade",
    "LabelJob",
    "LabelJobStatus",
    "MediaType",
    "PostSanitizationDestination",
    "RefurbishmentRecord",
    "SanitizationLevel",
    "SanitizationMethod",
    "ScanAction",
    "ScanBatch",
    "ScanLine",
    "ScanOutcome",
    "SmartStatus",
    "State",
    "StateChangeWithoutEvent",
    "StockLocation",
    "StorageMedium",
    "Verification",
    "can_run_any_transition",
    "can_run_workshop_transition",
    "search_key",
    "to_search_key",
]
