"""The demo holds the invariants the code protects: every stateful row has its events and its
state is where they lead; every device on loan has its open loan, every device allocated its
allocation, every sold device its sale; dates follow one another and are all in the past.

The stateful models are found from the kernel's base (``core.statemachine.StatefulModel``),
not listed: a new machine is checked as soon as it exists.
"""

from collections import defaultdict
from datetime import timedelta

import pytest
from django.apps import apps
from django.db.models import Count, F, OuterRef, Subquery

from core.statemachine import StatefulModel
from demo.world import HISTORY_DAYS
from dons.models import Donation, DonationState
from parc.models import Device, DeviceEvent, State
from prets.models import (
    Allocation,
    AllocationStatus,
    DeviceRequest,
    Loan,
    LoanState,
    RequestState,
    Sale,
)

pytestmark = pytest.mark.django_db


def stateful_models() -> list[type[StatefulModel]]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, StatefulModel) and not model._meta.abstract
    ]


STATEFUL = stateful_models()


def test_the_kernel_knows_the_four_machines_at_least():
    labels = {model._meta.label for model in STATEFUL}
    assert {"parc.Device", "dons.Donation", "prets.DeviceRequest", "prets.Loan"} <= labels


def _histories(model) -> dict[int, list]:
    events = model.event_model().objects.order_by("id")
    subject = f"{model.EVENT_SUBJECT}_id"
    histories = defaultdict(list)
    for event in events.only("id", "at", "action", "source_state", "target_state", subject):
        histories[getattr(event, subject)].append(event)
    return histories


@pytest.mark.parametrize("model", STATEFUL, ids=lambda model: model._meta.label)
def test_every_stateful_row_is_where_its_events_lead(demo, model):
    rows = list(model.objects.only("id", "state", "state_changed_at"))
    assert rows, f"the demo has no {model._meta.label}"
    histories = _histories(model)
    for row in rows:
        history = histories.get(row.pk)
        assert history, f"{model._meta.label} {row.pk} has no event"
        first = history[0]
        assert first.source_state == "", (row, first.action)
        # Each change starts from the state the previous event left, in time order.
        reached = first.target_state
        for previous, event in zip(history, history[1:], strict=False):
            assert event.at >= previous.at, (row, previous.action, event.action)
            assert event.source_state == reached, (row, event.action, reached)
            reached = event.target_state
        assert reached == row.state, (model._meta.label, row.pk, reached, row.state)
        changes = [event for event in history if event.changes_state] or [first]
        assert abs(row.state_changed_at - changes[-1].at) < timedelta(seconds=1), row


@pytest.mark.parametrize("model", STATEFUL, ids=lambda model: model._meta.label)
def test_the_latest_event_leads_to_the_current_state_in_sql(demo, model):
    """The same invariant as one query per model: what a report or an audit would run."""
    events = model.event_model().objects.filter(**{model.EVENT_SUBJECT: OuterRef("pk")})
    latest = events.order_by("-id").values("target_state")[:1]
    astray = model.objects.annotate(latest=Subquery(latest)).exclude(latest=F("state"))
    assert not astray.exists(), list(astray.values_list("pk", "state", "latest")[:5])


@pytest.mark.parametrize("model", STATEFUL, ids=lambda model: model._meta.label)
def test_every_event_is_in_the_demo_window(demo, model):
    now = demo["now"]
    events = model.event_model().objects.all()
    assert not events.filter(at__gt=now).exists()
    assert not events.filter(at__lt=now - timedelta(days=HISTORY_DAYS + 31)).exists()


def test_every_machine_shows_its_states(demo):
    assert set(Device.objects.values_list("state", flat=True)) == set(State.values)
    assert set(Donation.objects.values_list("state", flat=True)) == set(DonationState.values)
    assert set(Loan.objects.values_list("state", flat=True)) == set(LoanState.values)
    assert set(RequestState.values) - set(
        DeviceRequest.objects.values_list("state", flat=True)
    ) <= {RequestState.EXPIRED}


def test_every_device_on_loan_has_its_open_loan_and_the_reverse(demo):
    on_loan = set(Device.objects.filter(state=State.ON_LOAN).values_list("pk", flat=True))
    open_loans = Loan.objects.filter(state=LoanState.OPEN)
    assert on_loan
    assert set(open_loans.values_list("device_id", flat=True)) == on_loan
    assert open_loans.count() == len(on_loan)  # one open loan per device


def test_every_allocated_device_has_its_active_allocation_and_the_reverse(demo):
    allocated = set(Device.objects.filter(state=State.ALLOCATED).values_list("pk", flat=True))
    active = Allocation.objects.filter(status=AllocationStatus.ACTIVE)
    assert allocated
    assert set(active.values_list("device_id", flat=True)) == allocated
    assert not active.exclude(request__state=RequestState.APPROVED).exists()


def test_devices_out_of_the_pool_have_their_loan_or_sale(demo):
    transferred = Device.objects.filter(state=State.TRANSFERRED)
    assert transferred.exists()
    for device in transferred:
        sold = Sale.objects.filter(device=device).exists()
        kept = Loan.objects.filter(device=device, state=LoanState.TRANSFERRED).exists()
        assert sold != kept, device
    for device in Device.objects.filter(state=State.LOST):
        assert Loan.objects.filter(device=device, state=LoanState.LOST).exists(), device
    for device in Device.objects.filter(state=State.RETURNED):
        last = Loan.objects.filter(device=device).order_by("-id").first()
        assert last is not None and last.state == LoanState.RETURNED, device
    # Each lend, sale and return in a device's history is a loan or a sale of the loan scheme.
    assert DeviceEvent.objects.filter(action="lend").count() == Loan.objects.count()
    assert DeviceEvent.objects.filter(action="sell").count() == Sale.objects.count()
    assert (
        DeviceEvent.objects.filter(action="take_back").count()
        == Loan.objects.filter(state=LoanState.RETURNED).count()
    )


def test_fulfilled_requests_have_their_loan_or_sale(demo):
    fulfilled = DeviceRequest.objects.filter(state=RequestState.FULFILLED)
    assert fulfilled.exists()
    counts = fulfilled.annotate(loans=Count("loan", distinct=True), sales=Count("sale"))
    for request in counts:
        assert request.loans + request.sales == 1, request
    assert not DeviceRequest.objects.exclude(state=RequestState.FULFILLED).filter(
        loan__isnull=False
    )


def test_loan_dates_are_plausible(demo):
    today = demo["now"].date()
    for loan in Loan.objects.select_related("request"):
        assert loan.started_on <= today
        assert loan.due_on > loan.started_on
        assert loan.request.created_at.date() <= loan.started_on
        lend = DeviceEvent.objects.get(action="lend", data__loan=loan.pk)
        assert lend.at.date() == loan.started_on
        if loan.state == LoanState.RETURNED:
            assert loan.started_on < loan.inspection.returned_on <= today


def test_devices_came_with_their_donation_after_it_arrived(demo):
    devices = Device.objects.select_related("donation")
    assert not devices.filter(donation__isnull=True).exists()
    first_events = {
        event.device_id: event for event in DeviceEvent.objects.filter(action="register")
    }
    for device in devices:
        donation = device.donation
        assert donation.received_on is not None, device
        assert first_events[device.pk].at.date() >= donation.received_on, device
    # A sorted donation was closed after its last device was registered.
    for donation in Donation.objects.filter(state=DonationState.SORTED):
        closed = donation.events.get(action="close").at
        registered = [first_events[pk].at for pk in donation.devices.values_list("pk", flat=True)]
        assert registered and max(registered) <= closed, donation
