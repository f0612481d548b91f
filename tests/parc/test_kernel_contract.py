"""What the pool promises the floors above and every caller, whatever page or program calls:
the typed services that drive a device for the loan scheme and the workshops refuse a device
of another organisation; the rules that used to live only in forms are the services' own."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import InvalidInput, NotFound, NotPermitted, Refused
from parc import services
from parc.models import Device, DeviceEvent, ErasureRecord
from parc.services import DeviceRow, MediumRow, devices_register_bulk
from tests.acteurs.factories import MembershipFactory, UserFactory
from tests.dons.factories import DonationFactory, GisementFactory
from tests.parc.factories import DeviceFactory, StorageMediumFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def outside_staff(other_refurbisher):
    """Staff elsewhere: their role allows every transition, on their own pool only."""
    user = UserFactory(username="equipe-ailleurs")
    MembershipFactory(user=user, organisation=other_refurbisher, role="staff")
    return user


# (typed service, the device's state, its keyword arguments)
TYPED = [
    (services.device_allocate, "ready", {"request_id": 1}),
    (services.device_release, "allocated", {"request_id": 1}),
    (services.device_lend, "allocated", {"loan_id": 1}),
    (services.device_sell, "allocated", {"sale_id": 1, "price": Decimal("20")}),
    (services.device_take_back, "on_loan", {"loan_id": 1}),
    (services.device_transfer_to_borrower, "on_loan", {"loan_id": 1}),
    (services.device_declare_lost, "on_loan", {"loan_id": 1, "note": "Volé"}),
]


@pytest.mark.parametrize(
    ("service", "state", "kwargs"), TYPED, ids=lambda v: getattr(v, "__name__", "")
)
def test_typed_services_refuse_a_device_of_another_organisation(
    service, state, kwargs, refurbisher, outside_staff
):
    device = DeviceFactory(owner=refurbisher, state=state)
    with pytest.raises(NotPermitted):
        service(device.pk, outside_staff, **kwargs)
    device.refresh_from_db()
    assert device.state == state
    assert not DeviceEvent.objects.filter(device=device).exists()


@pytest.mark.parametrize(
    ("service", "state", "kwargs"), TYPED, ids=lambda v: getattr(v, "__name__", "")
)
def test_typed_services_write_the_event_with_what_the_caller_names(
    service, state, kwargs, refurbisher, staff
):
    device = DeviceFactory(owner=refurbisher, state=state)
    event = service(device.pk, staff, **kwargs)
    assert event.source_state == state and event.device_id == device.pk
    named = {"request_id": "request", "loan_id": "loan", "sale_id": "sale"}
    for key, value in kwargs.items():
        if key in named:
            assert event.data[named[key]] == value


def test_a_repair_of_another_organisations_device_is_refused(refurbisher, other_refurbisher, staff):
    device = DeviceFactory(owner=refurbisher, state="on_loan")
    with pytest.raises(NotFound):
        services.device_repair_record(
            device.pk,
            staff,
            organisation_id=other_refurbisher.pk,
            repair_id=1,
            session_id=1,
            status="Fixed",
        )
    assert not DeviceEvent.objects.filter(device=device).exists()


def test_a_repair_of_a_recycled_device_is_refused(refurbisher, staff):
    device = DeviceFactory(owner=refurbisher, state="recycled")
    with pytest.raises(Refused, match="ne peut plus être réparé"):
        services.device_repair_record(
            device.pk,
            staff,
            organisation_id=refurbisher.pk,
            repair_id=1,
            session_id=1,
            status="Fixed",
        )


def test_a_repair_joins_the_history_without_changing_the_state(refurbisher, staff):
    device = DeviceFactory(owner=refurbisher, state="on_loan")
    event = services.device_repair_record(
        device.pk,
        staff,
        organisation_id=refurbisher.pk,
        repair_id=7,
        session_id=3,
        status="Repairable",
        note="Écran",
    )
    assert (event.action, event.source_state, event.target_state) == (
        "repair",
        "on_loan",
        "on_loan",
    )
    assert (event.headline, event.detail) == ("Réparation", "réparable (suite à donner)")
    assert Device.objects.get(pk=device.pk).state == "on_loan"


# --- the rules that lived only in forms -------------------------------------------------------


def test_a_device_is_not_registered_for_a_donation_another_organisation_received(
    refurbisher, other_refurbisher, staff
):
    MembershipFactory(user=staff, organisation=other_refurbisher, role="staff")
    donation = DonationFactory(gisement=GisementFactory(refurbisher=other_refurbisher))
    with pytest.raises(InvalidInput) as refusal:
        services.device_register(owner=refurbisher, actor=staff, kind="laptop", donation=donation)
    assert refusal.value.field == "donation" and "autre organisation" in refusal.value.message
    with pytest.raises(InvalidInput):
        devices_register_bulk(
            owner=refurbisher, actor=staff, donation=donation, rows=[DeviceRow("laptop")]
        )
    assert not Device.objects.exists()


@pytest.mark.parametrize("state", ["sorted", "cancelled"])
def test_a_sorted_or_cancelled_donation_takes_no_device(state, refurbisher, staff):
    """Donation.accepts_devices, the one rule, for one registration and for an import."""
    donation = DonationFactory(gisement=GisementFactory(refurbisher=refurbisher), state=state)
    assert not donation.accepts_devices
    with pytest.raises(Refused) as refusal:
        services.device_register(owner=refurbisher, actor=staff, kind="laptop", donation=donation)
    assert refusal.value.code == "donation_closed"
    with pytest.raises(Refused):
        devices_register_bulk(
            owner=refurbisher, actor=staff, donation=donation, rows=[DeviceRow("laptop")]
        )
    assert not Device.objects.exists()


@pytest.mark.parametrize("state", ["announced", "collected", "received"])
def test_an_open_donation_takes_devices(state, refurbisher, staff):
    donation = DonationFactory(gisement=GisementFactory(refurbisher=refurbisher), state=state)
    assert donation.accepts_devices
    device = services.device_register(
        owner=refurbisher, actor=staff, kind="laptop", donation=donation
    )
    assert device.donation == donation


def test_received_without_storage_and_a_medium_together_are_refused(refurbisher, staff):
    with pytest.raises(InvalidInput) as refusal:
        services.device_register(
            owner=refurbisher,
            actor=staff,
            kind="laptop",
            received_without_storage=True,
            media=[{"media_type": "ssd", "capacity_gb": 256}],
        )
    assert refusal.value.field == "received_without_storage"
    row = DeviceRow("laptop", received_without_storage=True, media=(MediumRow("ssd", 256),))
    with pytest.raises(InvalidInput, match="Appareil 1"):
        devices_register_bulk(owner=refurbisher, actor=staff, rows=[row])
    assert not Device.objects.exists()


def erasure(**fields):
    now = timezone.now()
    return {
        "level": "purge",
        "method": "overwrite",
        "tool": "nwipe",
        "verification": "full",
        "result": "erased",
        "started_at": now - dt.timedelta(hours=1),
        "ended_at": now,
        **fields,
    }


def test_an_erasure_ending_in_the_future_is_refused(refurbisher, technician):
    medium = StorageMediumFactory(device=DeviceFactory(owner=refurbisher, state="triage"))
    tomorrow = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as refusal:
        services.erasure_record(medium.pk, technician, **erasure(ended_at=tomorrow))
    assert refusal.value.field == "ended_at" and "futur" in refusal.value.message
    # A few minutes ahead is the operator's watch, not the future.
    services.erasure_record(
        medium.pk, technician, **erasure(ended_at=timezone.now() + dt.timedelta(minutes=2))
    )
    assert ErasureRecord.objects.count() == 1
