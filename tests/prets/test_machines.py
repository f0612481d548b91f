"""Requests and loans on the kernel: a state is saved only with its event, the events carry
their two states and French labels, the loan knows since when it is in its state."""

import pytest
from django.utils import timezone

from core.statemachine import StateChangeWithoutEvent
from prets import services
from prets.models import DeviceRequest, Loan, LoanEvent, RequestEvent, RequestState
from prets.transitions import LOAN, REQUEST

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_loan(make_request, staff, ready_device):
    request = make_request(state="approved")
    services.device_allocate(request.pk, ready_device().pk, staff)
    return services.loan_start(request.pk, staff)


def test_a_request_state_saved_without_its_event_is_refused(make_request):
    request = DeviceRequest.objects.get(pk=make_request(state="submitted").pk)
    request.approve()
    with pytest.raises(StateChangeWithoutEvent):
        request.save()
    assert DeviceRequest.objects.get(pk=request.pk).state == RequestState.SUBMITTED


def test_a_request_transition_is_saved_with_its_event(make_request, staff):
    request = make_request(state="submitted")
    event = services.request_approve(request.pk, staff, note="Bon dossier")
    assert isinstance(event, RequestEvent)
    assert (event.source_state, event.target_state, event.note) == (
        "submitted",
        "approved",
        "Bon dossier",
    )
    assert (event.action_label, event.target_label) == ("acceptée", "Acceptée")
    request.refresh_from_db()
    assert request.decided_at is not None and request.state_changed_at <= event.at


def test_notes_stay_a_line(make_request, staff):
    request = make_request(state="submitted")
    event = services.request_approve(request.pk, staff, note="x" * 500)
    assert len(event.note) == 300


def test_a_loan_closes_with_its_event_and_the_date_of_its_state(on_loan, staff):
    before = Loan.objects.get(pk=on_loan.pk).state_changed_at
    services.loan_transfer(on_loan.pk, staff, note="Le foyer garde l'appareil")
    loan = Loan.objects.get(pk=on_loan.pk)
    assert loan.state == "transferred" and loan.state_changed_at > before
    event = LoanEvent.objects.filter(loan=loan).first()
    assert (event.action, event.source_state, event.target_state) == (
        "transfer",
        "open",
        "transferred",
    )
    assert event.action_label == "appareil cédé au foyer"


def test_the_loan_machine_refuses_a_closed_loan(on_loan, staff):
    services.loan_transfer(on_loan.pk, staff)
    with pytest.raises(services.Refused) as refusal:
        LOAN.run(on_loan.pk, "take_back", staff, day=timezone.localdate())
    assert f"le prêt n° {on_loan.pk}" in refusal.value.message


def test_machines_name_their_objects_in_french(make_request, on_loan):
    request = make_request(state="submitted")
    assert REQUEST.describe(request) == f"la demande n° {request.pk}"
    assert LOAN.describe(on_loan) == f"le prêt n° {on_loan.pk}"
