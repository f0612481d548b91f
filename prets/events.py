"""The histories of requests and loans: every row of ``RequestEvent`` and ``LoanEvent`` is
written here, by name.

Transitions write theirs through the machines (``prets.transitions``); these are the events
that do not change a state. Notes are cut to ``NOTE_LENGTH`` (what the pages' forms take): a
history line stays a line.
"""

from django.db import transaction

from . import notifications
from .models import DeviceRequest, Loan, LoanEvent, RequestEvent

NOTE_LENGTH = 300

RequestAction = RequestEvent.Action
LoanAction = LoanEvent.Action


def short(note: str) -> str:
    return (note or "")[:NOTE_LENGTH]


def _told_to_prescriber(event: RequestEvent) -> RequestEvent:
    transaction.on_commit(lambda: notifications.notify_request_change(event.pk))
    return event


def request_created(request: DeviceRequest, actor) -> RequestEvent:
    return RequestEvent.objects.create(
        request=request,
        action=RequestAction.CREATE,
        source_state="",
        target_state=request.state,
        actor=actor,
    )


def device_set_aside(request: DeviceRequest, actor, *, device_code: str) -> RequestEvent:
    """A device was allocated to the request (the prescriber is told)."""
    return _told_to_prescriber(
        request.record_event(RequestAction.ALLOCATE, actor, note=device_code)
    )


def device_released(request: DeviceRequest, actor, *, device_code: str) -> RequestEvent:
    """The device set aside for the request went back to the shelves (the prescriber is told)."""
    return _told_to_prescriber(request.record_event(RequestAction.RELEASE, actor, note=device_code))


def loan_started(loan: Loan, actor, *, data: dict) -> LoanEvent:
    return LoanEvent.objects.create(
        loan=loan,
        action=LoanAction.START,
        source_state="",
        target_state=loan.state,
        actor=actor,
        data=data,
    )


def loan_renewed(loan: Loan, actor, *, note: str, previous, due_on) -> LoanEvent:
    return loan.record_event(
        LoanAction.RENEW,
        actor,
        note=short(note),
        data={"from": previous.isoformat(), "to": due_on.isoformat()},
    )


def deposit_recorded(loan: Loan, actor, *, refunded: bool, day) -> LoanEvent:
    action = LoanAction.DEPOSIT_REFUNDED if refunded else LoanAction.DEPOSIT_PAID
    return loan.record_event(action, actor, data={"on": day.isoformat()})


def fee_recorded(loan: Loan, actor, *, day, refund_reason: str = "") -> LoanEvent:
    """The loan fee paid after the handover, or refunded (with its reason's code)."""
    if refund_reason:
        return loan.record_event(
            LoanAction.FEE_REFUNDED,
            actor,
            data={"on": day.isoformat(), "amount": str(loan.fee_amount), "reason": refund_reason},
        )
    return loan.record_event(LoanAction.FEE_PAID, actor, data={"on": day.isoformat()})


def agreement_signed(loan: Loan, actor, *, day) -> LoanEvent:
    return loan.record_event(LoanAction.AGREEMENT_SIGNED, actor, data={"on": day.isoformat()})
