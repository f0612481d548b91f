"""parc.services.devices_register_bulk: many devices with device_register's invariants (one
free public code each, their media, one register event each), all or none. The import of a
donor's list goes through it (tests/intake/test_intake.py covers that path end to end)."""

from decimal import Decimal

import pytest

from core.errors import InvalidInput, NotPermitted
from parc.models import Device, DeviceEvent, StorageMedium
from parc.services import DeviceRow, MediumRow, devices_register_bulk
from tests.dons.factories import DonationFactory, GisementFactory
from tests.parc.factories import DeviceFactory, StockLocationFactory

pytestmark = pytest.mark.django_db


def rows(count: int, **fields) -> list[DeviceRow]:
    return [DeviceRow(kind="laptop", serial=f"BULK{i:04d}", **fields) for i in range(count)]


def test_devices_are_registered_in_order_with_media_and_events(technician, refurbisher):
    donation = DonationFactory(gisement=GisementFactory(refurbisher=refurbisher))
    location = StockLocationFactory(organisation=refurbisher)
    given = [
        DeviceRow(
            kind="desktop",
            brand="HP",
            serial="MJ0ABC12",
            ram_gb=Decimal("8.0"),
            location_id=location.pk,
            media=(MediumRow("ssd", 256), MediumRow("hdd", 1000)),
            event_note="Reçu en lot",
            event_data={"batch": 7},
        ),
        DeviceRow(kind="screen", brand="Dell", serial="CN0XYZ", received_without_storage=True),
    ]
    registered = devices_register_bulk(
        owner=refurbisher, actor=technician, donation=donation, rows=given
    )
    assert len(registered) == 2
    desktop = Device.objects.get(pk=registered[0][0])
    assert (desktop.public_code, desktop.serial) == (registered[0][1], "MJ0ABC12")
    assert desktop.owner == refurbisher and desktop.donation == donation
    assert desktop.location == location and desktop.state == "registered"
    assert desktop.ram_gb == Decimal("8.0")
    assert sorted(desktop.storage_media.values_list("media_type", "capacity_gb")) == [
        ("hdd", 1000),
        ("ssd", 256),
    ]
    event = desktop.events.get()
    assert (event.action, event.target_state, event.actor) == ("register", "registered", technician)
    assert (event.note, event.data) == ("Reçu en lot", {"batch": 7})
    screen = Device.objects.get(pk=registered[1][0])
    assert screen.received_without_storage and screen.serial_key == "CN0XYZ"


def test_a_given_code_is_kept_while_free_and_drawn_again_once_taken(technician, refurbisher):
    taken = DeviceFactory(owner=refurbisher).public_code
    free = "FIL-2345-AB"
    registered = devices_register_bulk(
        owner=refurbisher,
        actor=technician,
        rows=[
            DeviceRow(kind="laptop", public_code=free),
            DeviceRow(kind="laptop", public_code=taken),
            DeviceRow(kind="laptop", public_code=free),  # repeated in the batch
        ],
    )
    codes = [code for _id, code in registered]
    assert codes[0] == free
    assert taken not in codes and len(set(codes)) == 3
    assert Device.objects.filter(public_code__in=codes).count() == 3


def test_more_rows_than_a_chunk(technician, refurbisher):
    registered = devices_register_bulk(owner=refurbisher, actor=technician, rows=rows(1203))
    assert len({code for _id, code in registered}) == 1203
    assert DeviceEvent.objects.filter(action="register").count() == 1203


def test_another_organisations_team_cannot_register(outsider, refurbisher):
    with pytest.raises(NotPermitted):
        devices_register_bulk(owner=refurbisher, actor=outsider, rows=rows(2))
    assert not Device.objects.filter(owner=refurbisher).exists()


@pytest.mark.parametrize(
    "row, code",
    [
        (DeviceRow(kind="toaster"), "unknown_kind"),
        (DeviceRow(kind="laptop", serial="X" * 101), "too_long"),
        (DeviceRow(kind="laptop", media=(MediumRow("floppy"),)), "unknown_media_type"),
    ],
)
def test_rows_the_database_would_refuse_are_refused_whole(technician, refurbisher, row, code):
    with pytest.raises(InvalidInput) as error:
        devices_register_bulk(owner=refurbisher, actor=technician, rows=[*rows(3), row])
    assert error.value.code == code and "Appareil 4" in error.value.message
    assert not Device.objects.exists() and not StorageMedium.objects.exists()


def test_another_organisations_location_is_refused(technician, refurbisher, other_refurbisher):
    elsewhere = StockLocationFactory(organisation=other_refurbisher)
    with pytest.raises(InvalidInput) as error:
        devices_register_bulk(
            owner=refurbisher, actor=technician, rows=rows(2, location_id=elsewhere.pk)
        )
    assert error.value.code == "foreign_location"
    assert not Device.objects.exists()
