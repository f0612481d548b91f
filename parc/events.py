"""The device's history: every row of ``DeviceEvent`` is written here, by name.

Transitions write theirs through the machine (``parc.transitions.DEVICE``); these are the
events that do not change the state, and the rows of a bulk registration. The callers hold
the device row locked in their transaction (``parc.services``, ``parc.evidence.services``).
"""

import datetime as dt

from django.utils import timezone

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
