"""Integrity that holds whoever writes: the shell, the admin, raw SQL."""

import pytest
from django.db import IntegrityError, connection, transaction
from django_fsm import TransitionNotAllowed

from parc import services
from parc.models import Device, DeviceEvent, StateChangeWithoutEvent
from tests.acteurs.factories import UserFactory
from tests.parc.factories import DeviceFactory, ErasureRecordFactory, StorageMediumFactory

pytestmark = pytest.mark.django_db


def test_the_state_cannot_be_assigned_directly(refurbisher):
    device = DeviceFactory(owner=refurbisher)
    with pytest.raises(AttributeError):
        device.state = "ready"


def test_a_transition_saved_without_its_event_is_refused(refurbisher):
    device = DeviceFactory(owner=refurbisher)
    device = Device.objects.get(pk=device.pk)
    device.start_triage()
    with pytest.raises(StateChangeWithoutEvent):
        device.save()
    assert Device.objects.get(pk=device.pk).state == "registered"


def test_transition_conditions_hold_when_called_from_the_shell(refurbisher):
    device = DeviceFactory(owner=refurbisher, state="triage")
    StorageMediumFactory(device=device)
    with pytest.raises(TransitionNotAllowed):
        device.wipe()


def test_events_are_append_only_in_python(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    event = services.device_start_triage(device.pk, technician)
    event.note = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        DeviceEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(TypeError):
        DeviceEvent.objects.filter(pk=event.pk).delete()


def test_events_are_append_only_in_the_database(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    event = services.device_start_triage(device.pk, technician)
    table = DeviceEvent._meta.db_table
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET note = 'x' WHERE id = %s", [event.pk])
    assert DeviceEvent.objects.get(pk=event.pk).note == ""


def test_public_codes_are_unique_in_the_database(refurbisher):
    device = DeviceFactory(owner=refurbisher)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeviceFactory(owner=refurbisher, public_code=device.public_code)


def test_an_erasure_cannot_end_before_it_starts(refurbisher):
    medium = StorageMediumFactory(device=DeviceFactory(owner=refurbisher))
    record = ErasureRecordFactory.build(medium=medium, operator=UserFactory())
    record.started_at, record.ended_at = record.ended_at, record.started_at
    with pytest.raises(IntegrityError), transaction.atomic():
        record.save()


def test_a_device_with_history_cannot_be_deleted(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    services.device_start_triage(device.pk, technician)
    with pytest.raises(IntegrityError), transaction.atomic():
        Device.objects.filter(pk=device.pk).delete()
