"""The donation lifecycle: allowed transitions, wrong states, permissions, the event log."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dons import services
from dons.models import PUBLIC_DONOR_KINDS, Donation, DonationEvent, DonorKind
from tests.dons.factories import DonationFactory, GisementFactory

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def _announce(gisement, staff, **kwargs):
    return services.donation_create(
        gisement.pk, actor=staff, lines={"laptop": 40, "screen": 10}, **kwargs
    )


def test_announce_writes_lines_and_first_event(gisement, staff):
    donation = _announce(gisement, staff, donor_reference="BDC-2025-07")
    assert donation.state == "announced"
    assert dict(donation.lines.values_list("kind", "quantity")) == {"laptop": 40, "screen": 10}
    assert donation.pickup_address == gisement.address  # taken from the gisement
    event = donation.events.get()
    assert (event.action, event.source_state, event.target_state) == ("announce", "", "announced")
    assert event.actor == staff


def test_full_path_to_sorted_writes_one_event_per_transition(gisement, staff):
    donation = _announce(gisement, staff)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    services.donation_collect(donation.pk, staff, pickup_date=yesterday)
    services.donation_receive(
        donation.pk, staff, received_on=timezone.localdate(), weight_kg=Decimal("182.50")
    )
    services.donation_close(donation.pk, staff, expected_state="received")
    donation.refresh_from_db()
    assert donation.state == "sorted"
    assert donation.pickup_date == yesterday
    assert donation.received_weight_kg == Decimal("182.50")
    actions = list(
        donation.events.order_by("id").values_list("action", "source_state", "target_state")
    )
    assert actions == [
        ("announce", "", "announced"),
        ("collect", "announced", "collected"),
        ("receive", "collected", "received"),
        ("close", "received", "sorted"),
    ]


def test_a_donor_may_bring_the_equipment_without_collection(gisement, staff):
    donation = _announce(gisement, staff)
    services.donation_receive(donation.pk, staff, received_on=timezone.localdate())
    donation.refresh_from_db()
    assert donation.state == "received"


@pytest.mark.parametrize(
    ("state", "name", "kwargs"),
    [
        ("announced", "close", {}),
        ("received", "cancel", {"note": "trop tard"}),
        ("sorted", "collect", {}),
        ("cancelled", "receive", {"received_on": dt.date(2025, 1, 2)}),
        ("sorted", "cancel", {"note": "non"}),
    ],
)
def test_wrong_state_is_refused_in_french_and_changes_nothing(gisement, staff, state, name, kwargs):
    donation = DonationFactory(gisement=gisement, state=state)
    service = getattr(services, f"donation_{name}")
    with pytest.raises(services.TransitionRefused) as error:
        service(donation.pk, staff, **kwargs)
    assert "impossible" in error.value.message
    donation.refresh_from_db()
    assert donation.state == state
    assert not donation.events.exists()


def test_cancel_needs_a_reason(gisement, staff):
    donation = DonationFactory(gisement=gisement)
    with pytest.raises(ValidationError, match="pourquoi"):
        services.donation_cancel(donation.pk, staff, note="  ")
    services.donation_cancel(donation.pk, staff, note="Le donateur a revendu le lot.")
    donation.refresh_from_db()
    assert donation.state == "cancelled"
    assert donation.events.get().note == "Le donateur a revendu le lot."


def test_reception_in_the_future_is_refused(gisement, staff):
    donation = DonationFactory(gisement=gisement)
    with pytest.raises(ValidationError, match="futur"):
        services.donation_receive(
            donation.pk, staff, received_on=timezone.localdate() + dt.timedelta(days=2)
        )


def test_the_state_the_user_saw_is_checked(gisement, staff):
    donation = DonationFactory(gisement=gisement, state="collected")
    with pytest.raises(services.DonationChanged, match="changé entre-temps"):
        services.donation_collect(donation.pk, staff, expected_state="announced")


@pytest.mark.parametrize("who", ["technician", "outsider", "other_staff", "coordinator"])
def test_only_staff_of_the_refurbisher_run_transitions(gisement, who, request):
    user = request.getfixturevalue(who)
    donation = DonationFactory(gisement=gisement)
    with pytest.raises(services.ActionNotPermitted):
        services.donation_collect(donation.pk, user)
    with pytest.raises(services.ActionNotPermitted):
        services.donation_create(gisement.pk, actor=user)
    with pytest.raises(services.ActionNotPermitted):
        services.gisement_update(gisement.pk, actor=user, name="Piraté")
    donation.refresh_from_db()
    assert donation.state == "announced"


def test_state_cannot_be_assigned(gisement):
    donation = DonationFactory(gisement=gisement)
    with pytest.raises(AttributeError):
        donation.state = "sorted"


def test_events_are_append_only(gisement, staff):
    donation = _announce(gisement, staff)
    event = donation.events.get()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        DonationEvent.objects.filter(pk=event.pk).update(note="x")


def test_update_rewrites_quantities_and_logs_the_change(gisement, staff):
    donation = _announce(gisement, staff)
    services.donation_update(
        donation.pk, actor=staff, lines={"laptop": 38, "tablet": 4}, stated_value=Decimal("1500")
    )
    donation.refresh_from_db()
    assert dict(donation.lines.values_list("kind", "quantity")) == {"laptop": 38, "tablet": 4}
    assert donation.stated_value == Decimal("1500")
    edit = donation.events.order_by("-id").first()
    assert edit.action == "edit"
    assert edit.data["changed"] == {"stated_value": "1500"}


def test_a_cancelled_donation_is_frozen(gisement, staff):
    donation = DonationFactory(gisement=gisement, state="cancelled")
    with pytest.raises(services.TransitionRefused):
        services.donation_update(donation.pk, actor=staff, notes="x")


def test_convention_signed_needs_its_date(gisement, staff):
    with pytest.raises(ValidationError) as error:
        services.convention_create(gisement.pk, actor=staff, status="signed")
    assert "date de signature" in " ".join(error.value.messages)


def test_new_donor_is_created_once(refurbisher, staff):
    donor = services.donor_create(actor=staff, refurbisher=refurbisher, name="Mairie de Dreux")
    assert donor.is_donor
    with pytest.raises(services.DonationActionError, match="existe déjà"):
        services.donor_create(actor=staff, refurbisher=refurbisher, name="mairie de dreux")


def test_public_donors():
    assert {DonorKind.STATE, DonorKind.LOCAL_AUTHORITY, DonorKind.PUBLIC_BODY} == PUBLIC_DONOR_KINDS
    assert GisementFactory.build(donor_kind="collectivite").is_public_donor
    assert not GisementFactory.build(donor_kind="entreprise").is_public_donor
    assert not GisementFactory.build(donor_kind="particulier").is_public_donor


def test_a_donation_with_devices_cannot_be_deleted(gisement):
    from django.db.models import ProtectedError

    from tests.parc.factories import DeviceFactory

    donation = DonationFactory(gisement=gisement, state="received")
    DeviceFactory(owner=gisement.refurbisher, donation=donation)
    with pytest.raises(ProtectedError):
        Donation.objects.filter(pk=donation.pk).delete()
