"""What the database refuses by itself, whatever the caller: one active allocation per device
and per request, one open loan per device, a due date on or after the start, one receipt
number per organisation, each reminder once, a price within the cap."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from prets.models import Allocation, Loan, Sale, SentReminder
from tests.parc.factories import DeviceFactory
from tests.prets.factories import AllocationFactory, DeviceRequestFactory, LoanFactory

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_one_active_allocation_per_device(staff):
    first = AllocationFactory()
    other_request = DeviceRequestFactory(state="approved", refurbisher=first.request.refurbisher)
    refused(
        lambda: Allocation.objects.create(
            request=other_request, device=first.device, allocated_by=staff
        )
    )
    # Once released, the device may be allocated again.
    Allocation.objects.filter(pk=first.pk).update(status="released")
    Allocation.objects.create(request=other_request, device=first.device, allocated_by=staff)


def test_one_active_allocation_per_request(staff):
    first = AllocationFactory()
    device = DeviceFactory(owner=first.request.refurbisher, state="allocated")
    refused(
        lambda: Allocation.objects.create(request=first.request, device=device, allocated_by=staff)
    )
    Allocation.objects.create(
        request=first.request, device=device, allocated_by=staff, status="handed_over"
    )


def test_one_open_loan_per_device():
    loan = LoanFactory()
    second_request = DeviceRequestFactory(state="fulfilled", refurbisher=loan.organisation)

    def second():
        LoanFactory(request=second_request, device=loan.device)

    refused(second)
    Loan.objects.filter(pk=loan.pk).update(state="returned")
    second()
    assert Loan.objects.filter(device=loan.device, state="open").count() == 1


def test_a_due_date_before_the_start_is_refused_by_the_database():
    today = timezone.localdate()
    refused(lambda: LoanFactory(started_on=today, due_on=today - dt.timedelta(days=1)))


def test_receipt_numbers_are_unique_per_organisation(refurbisher, staff):
    def sale(number, device):
        request = DeviceRequestFactory(state="fulfilled", refurbisher=refurbisher, mode="purchase")
        return Sale.objects.create(
            request=request,
            device=device,
            household=request.household,
            organisation=refurbisher,
            number=number,
            buyer_name="X",
            price=Decimal("10"),
            payment_method="cash",
            sold_on=timezone.localdate(),
            guarantee_until=timezone.localdate(),
            presumption_until=timezone.localdate(),
            sold_by=staff,
        )

    sale(1, DeviceFactory(owner=refurbisher, state="transferred"))
    refused(lambda: sale(1, DeviceFactory(owner=refurbisher, state="transferred")))


def test_a_price_above_the_recorded_cap_is_refused(refurbisher, staff):
    request = DeviceRequestFactory(state="fulfilled", refurbisher=refurbisher, mode="purchase")
    refused(
        lambda: Sale.objects.create(
            request=request,
            device=DeviceFactory(owner=refurbisher, state="transferred"),
            household=request.household,
            organisation=refurbisher,
            number=1,
            buyer_name="X",
            price=Decimal("181"),
            cap=Decimal("180"),
            payment_method="cash",
            sold_on=timezone.localdate(),
            guarantee_until=timezone.localdate(),
            presumption_until=timezone.localdate(),
            sold_by=staff,
        )
    )


def test_a_reminder_is_recorded_once_per_due_date():
    loan = LoanFactory()
    SentReminder.objects.create(loan=loan, kind="overdue", due_on=loan.due_on)
    refused(lambda: SentReminder.objects.create(loan=loan, kind="overdue", due_on=loan.due_on))
    SentReminder.objects.create(loan=loan, kind="before_due", due_on=loan.due_on)
    SentReminder.objects.create(
        loan=loan, kind="overdue", due_on=loan.due_on + dt.timedelta(days=30)
    )
