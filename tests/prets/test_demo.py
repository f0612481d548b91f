"""The demonstration loans: loaded through the services, coherent with the devices, idempotent."""

import pytest
from django.core.management import call_command
from django.db import transaction

from ateliers.demo import load_demo_ateliers
from parc.demo import load_demo
from parc.models import Device, State
from prets.models import DeviceRequest, Loan, LoanState, RequestState, Sale
from rapports.demo import load_demo_rapports

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The whole demo once for the module, inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        load_demo_ateliers()
        load_demo_rapports()
        call_command("load_demo_prets", verbosity=0)
        yield
        transaction.set_rollback(True)


def _counts():
    return (
        DeviceRequest.objects.count(),
        Loan.objects.count(),
        Sale.objects.count(),
        tuple(Device.objects.filter(state=State.ON_LOAN).values_list("pk", flat=True)),
    )


def test_requests_in_every_state_of_the_queue(demo):
    states = set(DeviceRequest.objects.values_list("state", flat=True))
    assert {
        RequestState.DRAFT,
        RequestState.SUBMITTED,
        RequestState.APPROVED,
        RequestState.REJECTED,
        RequestState.FULFILLED,
    } <= states
    assert not DeviceRequest.objects.filter(state=RequestState.REJECTED, rejection_reason="")


def test_loans_and_sales_are_handed_over(demo):
    loans = Loan.objects.all()
    assert loans.filter(state=LoanState.OPEN).count() >= 3
    assert loans.filter(state=LoanState.RETURNED, inspection__isnull=False).exists()
    assert loans.filter(state=LoanState.TRANSFERRED).exists()
    assert Sale.objects.count() == 2 and not Sale.objects.filter(price=0).exists()


def test_every_open_loan_has_its_device_on_loan(demo):
    open_loans = Loan.objects.filter(state=LoanState.OPEN)
    assert open_loans.exists()
    assert not open_loans.exclude(device__state=State.ON_LOAN).exists()
    assert not Device.objects.filter(sale__isnull=False).exclude(state=State.TRANSFERRED).exists()


def test_a_second_run_changes_nothing(demo):
    before = _counts()
    call_command("load_demo_prets", verbosity=0)
    assert _counts() == before
