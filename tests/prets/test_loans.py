"""Allocation, the handover policy and loans: every state change, who may make it, refusals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from parc.models import Device, DeviceEvent
from prets import services
from prets.models import (
    Allocation,
    HandoverPolicy,
    Loan,
    LoanEvent,
    LoanState,
    RequestState,
    ReturnInspection,
)
from tests.ateliers.factories import EnrolmentFactory, SessionFactory
from tests.parc.factories import DeviceFactory

from .conftest import days

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def today():
    return timezone.localdate()


@pytest.fixture
def approved(make_request):
    return make_request(state="approved")


@pytest.fixture
def allocated(approved, staff, ready_device):
    device = ready_device()
    services.device_allocate(approved.pk, device.pk, staff)
    return approved, device


def device_state(device):
    return Device.objects.get(pk=device.pk).state


# --- allocation -----------------------------------------------------------------------------


def test_staff_allocate_a_ready_device_to_an_approved_request(approved, staff, ready_device):
    device = ready_device()
    allocation = services.device_allocate(approved.pk, device.pk, staff)
    assert allocation.status == "active"
    assert device_state(device) == "allocated"
    event = DeviceEvent.objects.filter(device=device).first()
    assert event.action == "allocate" and event.data == {"request": approved.pk}
    assert approved.events.filter(action="allocate").exists()


@pytest.mark.parametrize("state", ["draft", "submitted", "rejected", "fulfilled", "cancelled"])
def test_only_an_approved_request_gets_a_device(make_request, staff, ready_device, state):
    request = make_request(state=state)
    device = ready_device()
    with pytest.raises(services.Refused):
        services.device_allocate(request.pk, device.pk, staff)
    assert device_state(device) == "ready"
    assert not Allocation.objects.exists()


def test_a_device_not_ready_is_refused_and_nothing_is_kept(approved, staff, refurbisher):
    device = DeviceFactory(owner=refurbisher, state="refurbishing")
    with pytest.raises(ApplicationError):
        services.device_allocate(approved.pk, device.pk, staff)
    assert not Allocation.objects.exists()
    assert device_state(device) == "refurbishing"


def test_a_device_of_another_organisation_is_refused(approved, staff, other_refurbisher):
    device = DeviceFactory(owner=other_refurbisher, state="ready")
    with pytest.raises(services.Refused, match="n'appartient pas"):
        services.device_allocate(approved.pk, device.pk, staff)


@pytest.mark.parametrize("who", ["prescriber", "technician", "other_staff"])
def test_only_the_association_staff_allocate(request, approved, ready_device, who):
    device = ready_device()
    with pytest.raises(services.NotPermitted):
        services.device_allocate(approved.pk, device.pk, request.getfixturevalue(who))
    assert device_state(device) == "ready"


def test_a_request_gets_one_device_at_a_time(allocated, staff, ready_device):
    request, _device = allocated
    with pytest.raises(services.Refused, match="déjà réservé"):
        services.device_allocate(request.pk, ready_device().pk, staff)


def test_release_puts_the_device_back(allocated, staff):
    request, device = allocated
    services.allocation_release(request.pk, staff, note="mauvais modèle")
    assert device_state(device) == "ready"
    allocation = Allocation.objects.get()
    assert allocation.status == "released" and allocation.ended_by == staff
    # …and the device can be allocated again.
    services.device_allocate(request.pk, device.pk, staff)
    assert Allocation.objects.filter(status="active").count() == 1


def test_cancelling_a_request_releases_its_device(allocated, prescriber, staff):
    request, device = allocated
    with pytest.raises(services.Refused, match="demandez à l'association"):
        services.request_cancel(request.pk, prescriber)
    assert device_state(device) == "allocated"
    services.request_cancel(request.pk, staff)
    assert device_state(device) == "ready"
    assert Allocation.objects.get().status == "released"


def test_suggestions_kind_then_grade_then_longest_in_stock(approved, refurbisher):
    now = timezone.now()
    b_old = DeviceFactory(
        owner=refurbisher, state="ready", grade="B", state_changed_at=now - days(50)
    )
    a_new = DeviceFactory(owner=refurbisher, state="ready", grade="A", state_changed_at=now)
    a_old = DeviceFactory(
        owner=refurbisher, state="ready", grade="A", state_changed_at=now - days(9)
    )
    DeviceFactory(owner=refurbisher, state="ready", grade="A", kind="tablet")
    DeviceFactory(owner=refurbisher, state="refurbishing", grade="A")
    from prets.selectors import suggested_devices

    assert suggested_devices(approved) == [a_old, a_new, b_old]


# --- handover policy ------------------------------------------------------------------------


def set_policy(refurbisher, rule, **fields):
    return HandoverPolicy.objects.update_or_create(
        organisation=refurbisher, defaults={"training_rule": rule, **fields}
    )[0]


def attend(household, refurbisher, when, attendance="present", code="initiation"):
    from ateliers.models import WorkshopType

    session = SessionFactory(
        organisation=refurbisher,
        workshop_type=WorkshopType.objects.get(code=code),
        starts_at=when,
        ends_at=when + timezone.timedelta(hours=2),
    )
    return EnrolmentFactory(session=session, household=household, attendance=attendance)


def test_no_training_required_by_default(allocated, staff):
    request, _device = allocated
    loan = services.loan_start(request.pk, staff)
    assert loan.training_due_on is None


def test_training_before_handover_blocks_until_attended(allocated, staff, refurbisher, household):
    request, device = allocated
    set_policy(refurbisher, "before")
    with pytest.raises(services.Refused, match="doit d'abord suivre la formation"):
        services.loan_start(request.pk, staff)
    assert device_state(device) == "allocated"
    assert not Loan.objects.exists()
    attend(household, refurbisher, timezone.now() - days(3), attendance="absent")
    with pytest.raises(services.Refused):
        services.loan_start(request.pk, staff)
    attend(household, refurbisher, timezone.now() - days(2))
    loan = services.loan_start(request.pk, staff)
    assert loan.state == LoanState.OPEN


def test_training_too_long_ago_does_not_count(allocated, staff, refurbisher, household):
    request, _device = allocated
    set_policy(refurbisher, "before", training_lookback_days=180)
    attend(household, refurbisher, timezone.now() - days(200))
    with pytest.raises(services.Refused):
        services.loan_start(request.pk, staff)


def test_the_policy_training_type_wins_over_the_prescribed_one(
    allocated, staff, refurbisher, household
):
    from ateliers.models import WorkshopType

    request, _device = allocated
    set_policy(refurbisher, "before", training_type=WorkshopType.objects.get(code="securite"))
    attend(household, refurbisher, timezone.now() - days(2), code="initiation")
    with pytest.raises(services.Refused, match="Sécurité|sécurité"):
        services.loan_start(request.pk, staff)
    attend(household, refurbisher, timezone.now() - days(1), code="securite")
    services.loan_start(request.pk, staff)


def test_training_within_n_days_hands_over_and_sets_the_deadline(allocated, staff, refurbisher):
    request, _device = allocated
    set_policy(refurbisher, "within_days", training_days=21)
    loan = services.loan_start(request.pk, staff)
    assert loan.training_due_on == today() + dt.timedelta(days=21)
    assert loan.training_code == "initiation"


def test_the_policy_applies_to_sales_too(make_request, staff, ready_device, refurbisher):
    request = make_request(state="approved", mode="purchase")
    services.device_allocate(request.pk, ready_device().pk, staff)
    set_policy(refurbisher, "before")
    with pytest.raises(services.Refused, match="formation"):
        services.sale_create(request.pk, staff, price=Decimal("50"), payment_method="cash")


# --- loans ----------------------------------------------------------------------------------


def test_loan_start_hands_over_with_the_default_duration(allocated, staff, refurbisher):
    request, device = allocated
    set_policy(refurbisher, "not_required", default_loan_days=180, reminder_days_before=10)
    loan = services.loan_start(request.pk, staff, deposit_amount=Decimal("20"), deposit_paid=True)
    assert loan.due_on == today() + dt.timedelta(days=180)
    assert loan.remind_from == loan.due_on - dt.timedelta(days=10)
    assert loan.deposit_paid_on == today()
    assert device_state(device) == "on_loan"
    request.refresh_from_db()
    assert request.state == RequestState.FULFILLED
    assert Allocation.objects.get().status == "handed_over"
    assert LoanEvent.objects.get(loan=loan).action == "start"


def test_the_loan_fee_is_recorded_at_handover(allocated, staff, refurbisher):
    """The policy's default fee unless given; never negative (issue 15)."""
    request, _device = allocated
    set_policy(refurbisher, "not_required", default_fee=Decimal("10"))
    with pytest.raises(services.Refused) as refused:
        services.loan_start(request.pk, staff, fee_amount=Decimal("-1"))
    assert "frais de prêt ne peuvent pas être négatifs" in refused.value.message
    loan = services.loan_start(request.pk, staff)
    assert loan.fee_amount == Decimal("10")
    assert LoanEvent.objects.get(loan=loan).data["fee"] == "10.00"


def test_a_fee_given_at_handover_wins_over_the_default(allocated, staff, refurbisher):
    request, _device = allocated
    set_policy(refurbisher, "not_required", default_fee=Decimal("10"))
    loan = services.loan_start(request.pk, staff, fee_amount=Decimal("0"))
    assert loan.fee_amount == Decimal("0")


def test_a_due_date_before_the_start_is_refused(allocated, staff):
    request, device = allocated
    with pytest.raises(services.Refused, match="précéder le début"):
        services.loan_start(request.pk, staff, due_on=today() - dt.timedelta(days=1))
    assert device_state(device) == "allocated"
    assert not Loan.objects.exists()


def test_a_loan_cannot_start_in_the_future(allocated, staff):
    request, _device = allocated
    with pytest.raises(services.Refused):
        services.loan_start(request.pk, staff, started_on=today() + dt.timedelta(days=2))


def test_loan_needs_an_allocated_device_and_a_loan_request(make_request, staff, ready_device):
    request = make_request(state="approved")
    with pytest.raises(services.Refused, match="Attribuez"):
        services.loan_start(request.pk, staff)
    purchase = make_request(state="approved", mode="purchase")
    services.device_allocate(purchase.pk, ready_device().pk, staff)
    with pytest.raises(services.Refused, match="achat"):
        services.loan_start(purchase.pk, staff)


def test_an_eligibility_expired_since_approval_blocks_the_handover(allocated, staff):
    request, _device = allocated
    check = request.eligibility
    type(check).objects.filter(pk=check.pk).update(
        checked_on=today() - dt.timedelta(days=400), valid_until=today() - dt.timedelta(days=1)
    )
    with pytest.raises(services.Refused, match="expiré"):
        services.loan_start(request.pk, staff)


@pytest.mark.parametrize("who", ["prescriber", "technician", "other_staff"])
def test_only_the_association_staff_start_a_loan(request, allocated, who):
    device_request, _device = allocated
    with pytest.raises(services.NotPermitted):
        services.loan_start(device_request.pk, request.getfixturevalue(who))


@pytest.fixture
def loan(allocated, staff):
    request, _device = allocated
    return services.loan_start(
        request.pk, staff, due_on=today() + dt.timedelta(days=90), deposit_amount=Decimal("30")
    )


def test_renewal_moves_the_due_date_forward_only(loan, staff):
    with pytest.raises(services.Refused, match="suivre l'échéance"):
        services.loan_renew(loan.pk, staff, due_on=loan.due_on)
    new_due = loan.due_on + dt.timedelta(days=60)
    renewed = services.loan_renew(loan.pk, staff, due_on=new_due)
    assert renewed.due_on == new_due and renewed.renewals == 1
    assert renewed.remind_from == new_due - dt.timedelta(days=14)


def test_deposit_paid_then_refunded_once(loan, staff):
    with pytest.raises(services.Refused, match="pas été versée"):
        services.loan_deposit(loan.pk, staff, action="refunded")
    services.loan_deposit(loan.pk, staff, action="paid")
    with pytest.raises(services.Refused):
        services.loan_deposit(loan.pk, staff, action="paid")
    services.loan_deposit(loan.pk, staff, action="refunded")
    loan.refresh_from_db()
    assert loan.deposit_paid_on == loan.deposit_refunded_on == today()
    assert "rendue" in loan.deposit_status


def test_agreement_signed_on_paper_is_recorded_with_its_date(loan, staff):
    services.loan_agreement_signed(loan.pk, staff, day=today())
    loan.refresh_from_db()
    assert loan.agreement_signed_on == today()
    with pytest.raises(services.Refused):
        services.loan_agreement_signed(loan.pk, staff, day=today() + dt.timedelta(days=3))


def test_both_sides_follow_the_loan(loan, staff, prescriber, other_prescriber, technician):
    services.loan_follow_up(loan.pk, staff, kind="call", note="utilise l'appareil")
    services.loan_follow_up(loan.pk, prescriber, kind="visit")
    for user in (other_prescriber, technician):
        with pytest.raises(services.NotPermitted):
            services.loan_follow_up(loan.pk, user, kind="note")
    assert loan.follow_ups.count() == 2


def test_take_back_inspects_and_sends_the_device_to_returned(loan, staff):
    device = Device.objects.get(pk=loan.device_id)
    cycle = device.cycle
    inspection = services.loan_take_back(
        loan.pk, staff, complete=True, accessories_returned=False, damage="coque fendue"
    )
    assert isinstance(inspection, ReturnInspection)
    loan.refresh_from_db()
    device.refresh_from_db()
    assert loan.state == LoanState.RETURNED and loan.closed_on == today()
    # The lifecycle now forces a new erasure: the borrower's data are on the device.
    assert device.state == "returned" and device.cycle == cycle + 1
    # The damage stays with the loan (its inspection); the device's history, which
    # technicians read, says a return note exists there and copies no text.
    assert inspection.damage == "coque fendue"
    event = DeviceEvent.objects.filter(device=device).first()
    assert event.action == "take_back" and event.note == ""
    assert event.data == {
        "loan": loan.pk,
        "complete": True,
        "accessories": False,
        "note_on_loan": True,
    }
    with pytest.raises(services.Refused, match="terminé"):
        services.loan_take_back(loan.pk, staff, complete=True, accessories_returned=True)


def test_the_device_history_says_a_return_note_exists_and_links_to_the_loan(
    client, loan, staff, technician, prescriber
):
    """Technicians read the device's history (its QR page): the desk's words about the
    household stay with the loan; the history says so, with a link for those who may see the
    loan (the desk, the household's prescribers), none for the workshop."""
    from django.urls import reverse

    services.loan_take_back(
        loan.pk,
        staff,
        complete=True,
        accessories_returned=True,
        damage="écran rayé",
        note="Mme Martin rappellera",
    )
    device = Device.objects.get(pk=loan.device_id)
    address = reverse("parc:device", args=[device.public_code])
    loan_address = reverse("prets:loan", args=[loan.pk])
    client.force_login(technician)
    page = client.get(address).content.decode()
    assert f"Note de retour, conservée avec le prêt n° {loan.pk}" in page
    assert "Martin" not in page and "écran rayé" not in page
    assert loan_address not in page
    client.force_login(staff)
    page = client.get(address).content.decode()
    assert f'href="{loan_address}"' in page and "Martin" not in page
    # The loan's page shows the note and the damage to those who may see it.
    loan_page = client.get(loan_address).content.decode()
    assert "Mme Martin rappellera" in loan_page and "écran rayé" in loan_page


def test_the_household_keeps_the_device(loan, staff):
    services.loan_transfer(loan.pk, staff, note="fin du prêt, le foyer le garde")
    loan.refresh_from_db()
    assert loan.state == LoanState.TRANSFERRED
    assert device_state(loan.device) == "transferred"


def test_loss_needs_circumstances(loan, staff):
    with pytest.raises(services.Refused, match="circonstances"):
        services.loan_declare_lost(loan.pk, staff, note=" ")
    services.loan_declare_lost(loan.pk, staff, note="vol déclaré au commissariat")
    loan.refresh_from_db()
    assert loan.state == LoanState.LOST and device_state(loan.device) == "lost"


@pytest.mark.parametrize("who", ["prescriber", "technician", "other_staff"])
def test_only_the_lender_closes_a_loan(request, loan, who):
    user = request.getfixturevalue(who)
    with pytest.raises(services.NotPermitted):
        services.loan_take_back(loan.pk, user, complete=True, accessories_returned=True)
    with pytest.raises(services.NotPermitted):
        services.loan_transfer(loan.pk, user)
    with pytest.raises(services.NotPermitted):
        services.loan_renew(loan.pk, user, due_on=loan.due_on + dt.timedelta(days=30))
    loan.refresh_from_db()
    assert loan.state == LoanState.OPEN


def test_a_return_dated_before_the_start_is_refused(loan, staff):
    with pytest.raises(services.Refused):
        services.loan_take_back(
            loan.pk,
            staff,
            returned_on=loan.started_on - dt.timedelta(days=1),
            complete=True,
            accessories_returned=True,
        )
    assert not ReturnInspection.objects.exists()
    assert device_state(loan.device) == "on_loan"
