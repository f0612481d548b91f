"""« Training within N days of handover », tracked (issue 15): the loan page shows the
deadline, the prescriber and the facilitators are reminded before it (once), a missed
deadline is reminded once, is on the desk's work queue and in the loan report; attending
the training stops it all. Under a frozen clock (time-machine)."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from prets import selectors, services
from prets.models import ReminderKind, SentReminder
from tests.ateliers.factories import EnrolmentFactory, SessionFactory, _workshop_type
from tests.prets.factories import LoanFactory

from .conftest import member

pytestmark = pytest.mark.django_db

HANDOVER = dt.date(2026, 5, 4)
DEADLINE = HANDOVER + dt.timedelta(days=30)  # 3 June 2026


def at(day: dt.date):
    """The clock frozen at 10:00, Paris time, on this day."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 8, 0, tzinfo=dt.UTC), tick=False
    )


@pytest.fixture
def loan(refurbisher):
    with at(HANDOVER):
        loan = LoanFactory(
            request__refurbisher=refurbisher,
            started_on=HANDOVER,
            training_due_on=DEADLINE,
            training_code="initiation",
        )
    loan.request.created_by.email = "prescriptrice@example.org"
    loan.request.created_by.save()
    member(refurbisher, "facilitator", "animatrice")
    return loan


def attend(loan, day):
    session = SessionFactory(
        workshop_type=_workshop_type("initiation"),
        organisation=loan.organisation,
        starts_at=timezone.make_aware(dt.datetime(day.year, day.month, day.day, 14)),
    )
    EnrolmentFactory(session=session, household=loan.household, attendance="present")


def test_no_reminder_before_the_window(loan):
    with at(DEADLINE - dt.timedelta(days=8)):
        assert services.send_training_reminders() == {"reminders": 0, "emails": 0}


def test_reminded_once_before_the_deadline_then_once_when_missed(loan):
    with at(DEADLINE - dt.timedelta(days=7)):
        assert services.send_training_reminders() == {"reminders": 1, "emails": 1}
        assert services.send_training_reminders() == {"reminders": 0, "emails": 0}
    message = mail.outbox[0]
    assert sorted(message.to) == ["animatrice@example.org", "prescriptrice@example.org"]
    assert "avant le 03/06/2026" in message.subject
    assert loan.household.name not in message.body  # the loan, never the person
    with at(DEADLINE):  # the last day: not missed yet, and already reminded
        assert services.send_training_reminders() == {"reminders": 0, "emails": 0}
    with at(DEADLINE + dt.timedelta(days=1)):
        assert services.send_training_reminders() == {"reminders": 1, "emails": 1}
        assert services.send_training_reminders() == {"reminders": 0, "emails": 0}
    assert "non suivie" in mail.outbox[1].subject
    assert list(
        SentReminder.objects.filter(loan=loan).values_list("kind", "due_on").order_by("id")
    ) == [(ReminderKind.TRAINING_SOON, DEADLINE), (ReminderKind.TRAINING_MISSED, DEADLINE)]


def test_attending_stops_the_reminders_and_the_queue(loan, staff):
    attend(loan, HANDOVER + dt.timedelta(days=10))
    with at(DEADLINE + dt.timedelta(days=3)):
        assert services.send_training_reminders() == {"reminders": 0, "emails": 0}
        assert selectors.desk_work(staff).training_missed_count == 0
        assert selectors.training_status(loan)["attended"] is True


def test_a_session_before_the_handover_does_not_count(loan, staff):
    attend(loan, HANDOVER - dt.timedelta(days=3))
    with at(DEADLINE + dt.timedelta(days=1)):
        assert selectors.desk_work(staff).training_missed_count == 1


def test_missed_deadline_on_the_desk_queue_the_loan_page_and_the_report(loan, staff, client):
    with at(DEADLINE - dt.timedelta(days=2)):
        client.force_login(staff)
        page = client.get(reverse("prets:loan", args=[loan.pk])).content.decode()
        assert "à suivre avant le 03/06/2026" in page
        assert "pas encore suivie, reste 2 jours" in page
        assert selectors.desk_work(staff).training_missed_count == 0
    with at(DEADLINE + dt.timedelta(days=1)):
        work = selectors.desk_work(staff)
        assert work.training_missed_count == 1
        assert work.training_missed == [loan]
        client.force_login(staff)  # three days later: the idle timeout has logged out
        home = client.get("/", follow=True).content.decode()
        assert "1 formation non suivie dans le délai" in home
        page = client.get(reverse("prets:loan", args=[loan.pk])).content.decode()
        assert "délai dépassé : pas encore suivie" in page
        figures = selectors.loan_figures(
            refurbisher_ids=None, start=HANDOVER, end=DEADLINE, today=timezone.localdate()
        )
        assert figures.training_missed == 1
