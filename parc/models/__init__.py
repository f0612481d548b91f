"""The pool's models, one module per subject; every public name is re-exported here so
``from parc.models import X`` works whichever module defines X. App label: ``parc``.

- ``device``: devices, their vocabulary (kinds, grades, states), stock locations, the
  transition permissions and the search keys;
- ``media``: storage media and erasure records;
- ``refurbishment``: functional tests;
- ``economics``: work time per stage, the parts stock and its use (issue 15);
- ``profiles``: usage profiles and the adaptations fitted (issue 15);
- ``events``: the append-only device event log;
- ``scanning``: scan batches and their lines;
- ``labels``: label sheets built in the background (``core.jobs.BackgroundJob``).

Donors' inventory-list imports are the ``intake`` app's.
"""

from core.statemachine import StateChangeWithoutEvent

from .device import (
    KINDS_WITH_STORAGE,
    SEARCH_KEY_IGNORED,
    TERMINAL_STATES,
    WAITING_STATES,
    Device,
    DeviceKind,
    Grade,
    State,
    StockLocation,
    can_run_any_transition,
    can_run_workshop_transition,
    search_key,
    to_search_key,
)
from .economics import (
    DEFAULT_STAGE_MINUTES,
    Part,
    PartCategory,
    PartUse,
    StageTime,
    WorkStage,
    WorkTime,
)
from .events import DeviceEvent
from .evidence import EvidenceFile, EvidenceKind
from .labels import LabelJob, LabelPrinting
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
from .profiles import (
    ADAPTATION_KINDS,
    Adaptation,
    UsageProfile,
    adaptation_labels,
    adaptation_mask,
    ensure_usage_profiles,
)
from .refurbishment import RefurbishmentRecord
from .scanning import ScanAction, ScanBatch, ScanLine, ScanOutcome

__all__ = [
    "DEFAULT_STAGE_MINUTES",
    "Part",
    "PartCategory",
    "PartUse",
    "StageTime",
    "WorkStage",
    "WorkTime",
    "ADAPTATION_KINDS",
    "Adaptation",
    "UsageProfile",
    "adaptation_labels",
    "adaptation_mask",
    "ensure_usage_profiles",
    "KINDS_WITH_STORAGE",
    "SEARCH_KEY_IGNORED",
    "TERMINAL_STATES",
    "Device",
    "DeviceEvent",
    "EvidenceFile",
    "EvidenceKind",
    "WAITING_STATES",
    "DeviceKind",
    "ErasureRecord",
    "ErasureResult",
    "Grade",
    "LabelJob",
    "LabelPrinting",
    "MediaType",
    "PostSanitizationDestination",
    "RefurbishmentRecord",
    "SanitizationLevel",
    "SanitizationMethod",
    "SmartStatus",
    "ScanAction",
    "ScanBatch",
    "ScanLine",
    "ScanOutcome",
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
