"""The device's history: every row of ``DeviceEvent`` is written here, by name.

Transitions write theirs through the machine (``parc.transitions.DEVICE``); these are the
events that do not change the state, and the rows of a bulk registration. The callers hold
the device row locked in their transaction (``parc.services``, ``parc.evidence.services``).
"""

import datetime as dt

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from core.events import WithoutKeys

from .models import Device, DeviceEvent, State

Action = DeviceEvent.Action


def device_registered(device: Device, actor, *, note: str = "", data: dict | None = None):
    return DeviceEvent.objects.create(
        device=device,
        action=Action.REGISTER,
        source_state="",
        target_state=device.state,
        actor=actor,
        note=note,
        data=data or {},
    )


# The columns of a registration event written as a plain row (``parc.bulk``: thousands at a
# time, without a model instance each), and the row itself, in that order.
REGISTRATION_COLUMNS = [
    "device",
    "action",
    "source_state",
    "target_state",
    "actor",
    "at",
    "note",
    "data",
]


def device_registered_row(
    device_id: int, *, actor_id: int, at: dt.datetime, note: str = "", data: dict | None = None
) -> tuple:
    return (
        device_id,
        Action.REGISTER.value,
        "",
        State.REGISTERED.value,
        actor_id,
        at,
        note,
        data or {},
    )


def device_moved(device: Device, actor, *, previous: str, location) -> DeviceEvent:
    return device.record_event(
        Action.MOVE, actor, data={"from": previous, "to": location.name if location else ""}
    )


def medium_added(device: Device, actor, medium) -> DeviceEvent:
    return device.record_event(Action.ADD_MEDIUM, actor, note=str(medium))


def erasure_recorded(device: Device, actor, *, medium, record) -> DeviceEvent:
    return device.record_event(
        Action.ERASURE,
        actor,
        note=f"{medium} : {record.get_result_display()}",
        data={"erasure_id": record.pk, "result": record.result, "level": record.level},
    )


def hardware_report_attached(device: Device, actor, *, note: str, data: dict) -> DeviceEvent:
    return device.record_event(Action.HARDWARE_REPORT, actor, note=note, data=data)


def erasure_log_attached(device: Device, actor, *, note: str, data: dict) -> DeviceEvent:
    return device.record_event(Action.ERASURE_LOG, actor, note=note, data=data)


def repair_recorded(
    device: Device,
    actor,
    *,
    note: str,
    repair_id: int,
    session_id: int,
    status: str,
    barrier: str = "",
    at: dt.datetime | None = None,
) -> DeviceEvent:
    """A repair of the device at a repair session (``ateliers``): its state does not change."""
    return DeviceEvent.objects.create(
        device=device,
        action=Action.REPAIR,
        source_state=device.state,
        target_state=device.state,
        actor=actor,
        at=at or timezone.now(),
        note=note,
        data={
            "repair_id": repair_id,
            "session_id": session_id,
            "status": status,
            "barrier": barrier,
        },
    )


# The events of the loan scheme whose note could carry what a desk typed about a household
# before notes stayed with the loan (a return, the end of a loan, a loss, a released device).
HOUSEHOLD_NOTE_ACTIONS = (
    Action.TAKE_BACK,
    Action.TRANSFER_TO_BORROWER,
    Action.DECLARE_LOST,
    Action.RELEASE,
)
# Free text a take-back event once copied into its details.
HOUSEHOLD_DATA_KEYS = ("damage",)


def household_texts_redacted(
    *,
    loan_ids: list[int],
    request_ids: list[int],
    device_ids: list[int],
    strings: list[str],
    reason: str,
    actor=None,
) -> int:
    """Redact (``core.events``' audited ``redact``) what a household's anonymisation must
    reach in the devices' histories; returns how many rows changed.

    - the notes of the loan scheme's events about its loans and requests (rows written before
      notes stayed with the loan), and the damage text in their details;
    - any other event of the devices it had whose note or details still hold one of
      ``strings`` (its name, phone or e-mail, typed by someone at the workshop).
    """
    rows = 0
    about = Q(pk__in=[])
    if loan_ids:
        about |= Q(data__loan__in=loan_ids)
    if request_ids:
        about |= Q(data__request__in=request_ids)
    scheme = DeviceEvent.objects.filter(about, action__in=HOUSEHOLD_NOTE_ACTIONS)
    if scheme.exclude(note="").exists():
        rows += scheme.exclude(note="").redact(note="", reason=reason, actor=actor)
    with_damage = DeviceEvent.objects.filter(about).filter(data__has_key="damage")
    if with_damage.exists():
        rows += with_damage.redact(
            data=WithoutKeys("data", *HOUSEHOLD_DATA_KEYS), reason=reason, actor=actor
        )
    words = [text for text in strings if text]
    if device_ids and words:
        history = DeviceEvent.objects.filter(device_id__in=device_ids)
        in_note = Q()
        for text in words:
            in_note |= Q(note__icontains=text)
        if history.filter(in_note).exists():
            rows += history.filter(in_note).redact(note="", reason=reason, actor=actor)
        details = history.annotate(details_text=Cast("data", TextField()))
        in_data = Q()
        for text in words:
            in_data |= Q(details_text__icontains=text)
        # Details are structured: when a typed text reached them, the whole row's details go.
        if details.filter(in_data).exists():
            rows += DeviceEvent.objects.filter(
                pk__in=list(details.filter(in_data).values_list("pk", flat=True))
            ).redact(data={}, reason=reason, actor=actor)
    return rows
