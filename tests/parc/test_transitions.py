"""Every lifecycle transition: allowed, wrong source state, permission refused, invariant
refused. A refusal changes nothing and writes no event."""

import pytest

from core.errors import Changed, InvalidInput, NotPermitted, Refused
from parc import services
from parc.models import Device, DeviceEvent
from parc.transitions import DEVICE
from tests.parc.factories import (
    DeviceFactory,
    ErasureRecordFactory,
    StockLocationFactory,
    StorageMediumFactory,
)
from tests.parc.test_workflow import erase_all, full_checklist

pytestmark = pytest.mark.django_db


def make(owner, state, *, kind="laptop", media=1, erased=False, **fields):
    device = DeviceFactory(owner=owner, state=state, kind=kind, **fields)
    for _ in range(media):
        medium = StorageMediumFactory(device=device)
        if erased:
            ErasureRecordFactory(medium=medium)
    return device


def assert_unchanged(device, state):
    fresh = Device.objects.get(pk=device.pk)
    assert fresh.state == state
    assert not DeviceEvent.objects.filter(device=device).exists()


def run(name, device, user, **kwargs):
    if name == "mark_ready":
        return services.device_mark_ready(
            device.pk, user, checklist=full_checklist(device.kind), grade="A", **kwargs
        )
    if name == "declare_lost":
        return services.device_declare_lost(device.pk, user, note="Volé dans le bus", **kwargs)
    return DEVICE.run(device.pk, name, user, **kwargs)


# (transition, a source state, the target, needs erased media, who may run it)
CASES = [
    ("start_triage", "registered", "triage", False, "technician"),
    ("start_triage", "returned", "triage", False, "technician"),
    ("wipe", "triage", "wiped", True, "technician"),
    ("start_refurbishment", "wiped", "refurbishing", True, "technician"),
    ("mark_ready", "refurbishing", "ready", True, "technician"),
    ("dismantle", "triage", "parts", True, "technician"),
    ("dismantle", "returned", "parts", True, "technician"),
    ("recycle", "registered", "recycled", True, "technician"),
    ("recycle", "parts", "recycled", True, "technician"),
    ("declare_lost", "on_loan", "lost", False, "staff"),
    ("declare_lost", "allocated", "lost", False, "staff"),
    ("allocate", "ready", "allocated", True, "staff"),
    ("release", "allocated", "ready", True, "staff"),
    ("lend", "allocated", "on_loan", True, "staff"),
    ("sell", "allocated", "transferred", True, "staff"),
    ("take_back", "on_loan", "returned", True, "staff"),
    ("transfer_to_borrower", "on_loan", "transferred", True, "staff"),
]


@pytest.mark.parametrize(("name", "source", "target", "erased", "who"), CASES)
def test_transition_allowed_writes_one_event(
    name, source, target, erased, who, refurbisher, technician, staff
):
    user = {"technician": technician, "staff": staff}[who]
    device = make(refurbisher, source, erased=erased)
    event = run(name, device, user)
    device = Device.objects.get(pk=device.pk)
    assert device.state == target
    assert (event.action, event.source_state, event.target_state) == (name, source, target)
    assert event.actor == user
    assert DeviceEvent.objects.filter(device=device).count() == 1


@pytest.mark.parametrize(("name", "source", "target", "erased", "who"), CASES)
def test_transition_from_wrong_state_is_refused(
    name, source, target, erased, who, refurbisher, staff
):
    wrong = "lost" if source != "lost" else "ready"
    device = make(refurbisher, wrong, erased=True)
    with pytest.raises(Refused) as refusal:
        run(name, device, staff)
    assert "Perdu ou volé" in refusal.value.message
    assert_unchanged(device, wrong)


@pytest.mark.parametrize(("name", "source", "target", "erased", "who"), CASES)
def test_transition_refused_to_a_member_of_another_organisation(
    name, source, target, erased, who, refurbisher, outsider
):
    device = make(refurbisher, source, erased=True)
    with pytest.raises(NotPermitted):
        run(name, device, outsider)
    assert_unchanged(device, source)


@pytest.mark.parametrize(
    ("name", "source"),
    [(n, s) for n, s, _t, _e, who in CASES if who == "staff"],
)
def test_technicians_run_only_workshop_transitions(name, source, refurbisher, technician):
    device = make(refurbisher, source, erased=True)
    with pytest.raises(NotPermitted) as refusal:
        run(name, device, technician)
    assert "rôle" in refusal.value.message
    assert_unchanged(device, source)


def test_prescriber_cannot_run_anything_on_the_pool(refurbisher, prescriber):
    device = make(refurbisher, "registered")
    with pytest.raises(NotPermitted):
        services.device_start_triage(device.pk, prescriber)
    assert_unchanged(device, "registered")


# --- invariants ---------------------------------------------------------------------------


def test_wipe_refused_naming_each_medium_without_successful_erasure(refurbisher, technician):
    device = make(refurbisher, "triage", media=0)
    erased = StorageMediumFactory(device=device, serial="ERASED-1")
    ErasureRecordFactory(medium=erased)
    failed = StorageMediumFactory(device=device, serial="FAILED-2")
    ErasureRecordFactory(medium=failed, result="failed")
    StorageMediumFactory(device=device, serial="NEVER-3")
    with pytest.raises(Refused) as refusal:
        services.device_wipe(device.pk, technician)
    assert "FAILED-2" in refusal.value.message
    assert "NEVER-3" in refusal.value.message
    assert "ERASED-1" not in refusal.value.message
    assert_unchanged(device, "triage")


def test_wipe_of_a_laptop_with_no_medium_on_record_is_refused(refurbisher, technician):
    device = make(refurbisher, "triage", media=0)
    with pytest.raises(Refused) as refusal:
        services.device_wipe(device.pk, technician)
    assert "Aucun support de stockage" in refusal.value.message
    assert_unchanged(device, "triage")


def test_wipe_of_a_laptop_received_without_disk_or_of_a_screen_needs_no_erasure(
    refurbisher, technician
):
    laptop = make(refurbisher, "triage", media=0, received_without_storage=True)
    screen = make(refurbisher, "triage", kind="screen", media=0)
    services.device_wipe(laptop.pk, technician)
    services.device_wipe(screen.pk, technician)
    assert Device.objects.get(pk=laptop.pk).state == "wiped"
    assert Device.objects.get(pk=screen.pk).state == "wiped"


def test_a_returned_device_must_be_erased_again_before_it_is_ready(refurbisher, technician, staff):
    device = make(refurbisher, "on_loan", erased=True)
    DEVICE.run(device.pk, "take_back", staff)
    services.device_start_triage(device.pk, technician)
    # The erasure of the first cycle no longer counts: the borrower's data is on the disk.
    with pytest.raises(Refused) as refusal:
        services.device_wipe(device.pk, technician)
    assert "depuis le retour" in refusal.value.message
    erase_all(device, technician)
    services.device_wipe(device.pk, technician)
    assert Device.objects.get(pk=device.pk).state == "wiped"


def test_mark_ready_refused_when_erasures_belong_to_an_earlier_cycle(refurbisher, technician):
    # A device forced into refurbishing in its second cycle with only the first cycle's
    # erasure: the transition's own condition refuses, whoever calls it.
    device = make(refurbisher, "refurbishing", media=0, cycle=2)
    ErasureRecordFactory(medium=StorageMediumFactory(device=device), device_cycle=1)
    with pytest.raises(Refused) as refusal:
        services.device_mark_ready(
            device.pk, technician, checklist=full_checklist("laptop"), grade="B"
        )
    assert "Effacement manquant" in refusal.value.message
    assert_unchanged(device, "refurbishing")
    assert not device.refurbishments.exists()


def test_mark_ready_refused_while_a_functional_test_is_not_ticked(refurbisher, technician):
    device = make(refurbisher, "refurbishing", erased=True)
    checklist = full_checklist("laptop") | {"battery": False}
    with pytest.raises(Refused) as refusal:
        services.device_mark_ready(device.pk, technician, checklist=checklist, grade="B")
    assert "Batterie" in refusal.value.message
    assert_unchanged(device, "refurbishing")
    assert not device.refurbishments.exists()


@pytest.mark.parametrize(("name", "source"), [("dismantle", "triage"), ("recycle", "registered")])
def test_no_device_leaves_for_parts_or_recycling_with_data_on_a_medium(
    name, source, refurbisher, technician
):
    device = make(refurbisher, source, erased=False)
    with pytest.raises(Refused) as refusal:
        DEVICE.run(device.pk, name, technician)
    assert "Effacement manquant" in refusal.value.message
    assert_unchanged(device, source)


def test_a_destroyed_medium_lets_the_device_go_to_recycling(refurbisher, technician):
    device = make(refurbisher, "registered", erased=False)
    medium = device.storage_media.get()
    services.erasure_record(
        medium.pk,
        technician,
        level="destroy",
        method="shred",
        tool="Broyeur atelier",
        verification="full",
        result="erased",
        destination="destroyed",
        started_at="2026-11-20T09:00+01:00",
        ended_at="2026-11-20T09:05+01:00",
    )
    services.device_recycle(device.pk, technician, note="Carte mère HS")
    assert Device.objects.get(pk=device.pk).state == "recycled"


@pytest.mark.parametrize("terminal", ["transferred", "parts", "recycled", "lost"])
def test_terminal_states_are_final(terminal, refurbisher, staff):
    device = make(refurbisher, terminal, erased=True)
    for name in services.TRANSITIONS:
        if name == "recycle" and terminal == "parts":
            continue  # parts -> recycled is the one way out of parts (DESIGN.md)
        with pytest.raises(Refused):
            DEVICE.run(device.pk, name, staff)
    assert Device.objects.get(pk=device.pk).state == terminal


@pytest.mark.parametrize("name", ["lend", "sell"])
def test_a_device_leaving_the_shelves_leaves_its_location(name, refurbisher, staff):
    shelf = StockLocationFactory(organisation=refurbisher)
    device = make(refurbisher, "allocated", erased=True, location=shelf)
    DEVICE.run(device.pk, name, staff)
    assert Device.objects.get(pk=device.pk).location is None


def test_declaring_a_loss_needs_the_circumstances(refurbisher, staff):
    device = make(refurbisher, "on_loan")
    with pytest.raises(InvalidInput) as refusal:
        services.device_declare_lost(device.pk, staff, note="  ")
    assert refusal.value.field == "note"
    assert_unchanged(device, "on_loan")


def test_a_device_changed_since_the_user_saw_it_is_reported(refurbisher, technician):
    device = make(refurbisher, "registered")
    services.device_start_triage(device.pk, technician, expected_state="registered")
    with pytest.raises(Changed) as refusal:
        services.device_start_triage(device.pk, technician, expected_state="registered")
    assert "a changé entre-temps" in refusal.value.message
    assert DeviceEvent.objects.filter(device=device).count() == 1


@pytest.mark.parametrize("media", [1, 4])
def test_transitions_query_budget(media, refurbisher, technician, django_assert_max_num_queries):
    """The device row lock and what the conditions read, fetched once whatever the number of
    media: the lock, media, their erasures, the update and the event, plus the savepoint
    and its release (the test runs in a transaction). The membership is read once and
    cached on the user."""
    device = make(refurbisher, "triage", media=media, erased=True)
    services.device_start_triage(make(refurbisher, "registered").pk, technician)
    with django_assert_max_num_queries(7):
        services.device_wipe(device.pk, technician)
    with django_assert_max_num_queries(5):
        services.device_start_refurbishment(device.pk, technician)
    # Plus the functional test row and the tests read back for the condition.
    with django_assert_max_num_queries(9):
        run("mark_ready", device, technician)
    assert Device.objects.get(pk=device.pk).state == "ready"
    # A system installed is a new word of the device's search document: one more UPDATE.
    other = make(refurbisher, "refurbishing", media=media, erased=True)
    with django_assert_max_num_queries(10):
        run("mark_ready", other, technician, os_installed="Linux Mint 22")
    assert "mint" in Device.objects.get(pk=other.pk).search_document.split()
