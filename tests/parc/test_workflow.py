"""The technician's path through the workshop, end to end through the services."""

import pytest

from parc import services
from parc.checklists import checklist_for
from parc.models import Device, DeviceEvent, State
from tests.parc.factories import StockLocationFactory


def erase_all(device, actor):
    for medium in device.storage_media.all():
        services.erasure_record(
            medium.pk,
            actor,
            level="purge",
            method="block_erase",
            tool="nwipe",
            tool_version="0.35",
            verification="full",
            result="erased",
            started_at="2026-11-20T09:00+01:00",
            ended_at="2026-11-20T10:00+01:00",
        )


def full_checklist(kind):
    return {key: True for key, _label in checklist_for(kind)}


@pytest.mark.django_db
def test_donated_laptop_goes_from_registered_to_ready_with_every_step_recorded(
    refurbisher, technician
):
    location = StockLocationFactory(organisation=refurbisher, name="Étagère A")
    device = services.device_register(
        owner=refurbisher,
        actor=technician,
        kind="laptop",
        brand="Lenovo",
        model="ThinkPad T460",
        serial="PF0ABCDE",
        location=location,
        media=[{"media_type": "ssd", "manufacturer": "Samsung", "serial": "S2NXX0H"}],
    )
    assert device.state == State.REGISTERED
    assert device.public_code.startswith("FIL-")

    services.device_start_triage(device.pk, technician, expected_state="registered")
    erase_all(device, technician)
    services.device_wipe(device.pk, technician, expected_state="triage")
    services.device_start_refurbishment(device.pk, technician)
    services.device_mark_ready(device.pk, technician, checklist=full_checklist("laptop"), grade="B")

    device = Device.objects.get(pk=device.pk)
    assert device.state == State.READY
    assert device.grade == "B"
    transitions = list(
        DeviceEvent.objects.filter(device=device, source_state__gt="")
        .exclude(action__in=["erasure"])
        .order_by("id")
        .values_list("action", "source_state", "target_state", "actor__username")
    )
    assert transitions == [
        ("start_triage", "registered", "triage", "tech"),
        ("wipe", "triage", "wiped", "tech"),
        ("start_refurbishment", "wiped", "refurbishing", "tech"),
        ("mark_ready", "refurbishing", "ready", "tech"),
    ]
    assert device.refurbishments.get().passed is True
