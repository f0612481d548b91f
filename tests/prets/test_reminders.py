"""Reminders: before the due date and when overdue, to the household (if it has an e-mail)
and to the prescriber, each sent once, and only when due."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from prets import notifications, services
from prets.models import SentReminder
from prets.services import reminders
from tests.prets.factories import LoanFactory

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

TODAY = dt.date(2026, 6, 15)


def loan_due(due_on, *, remind_days=14, household_email="foyer@example.org", **fields):
    loan = LoanFactory(
        started_on=due_on - dt.timedelta(days=200),
        due_on=due_on,
        remind_from=due_on - dt.timedelta(days=remind_days),
        **fields,
    )
    type(loan.household).objects.filter(pk=loan.household_id).update(email=household_email)
    return loan


def run(today=TODAY):
    return services.send_due_reminders(today=today)


def test_nothing_is_sent_before_the_reminder_window():
    loan_due(TODAY + dt.timedelta(days=15))
    assert run() == {"reminders": 0, "emails": 0}
    assert not mail.outbox


def test_before_the_due_date_household_and_prescriber_are_told_once():
    loan = loan_due(TODAY + dt.timedelta(days=14))
    assert run() == {"reminders": 1, "emails": 2}
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(["foyer@example.org", loan.request.created_by.email])
    household_mail = next(m for m in mail.outbox if m.to == ["foyer@example.org"])
    assert loan.device.public_code in household_mail.body
    assert loan.request.created_by.email not in household_mail.body
    # Again the same day, the next day: nothing more.
    assert run() == {"reminders": 0, "emails": 0}
    assert run(TODAY + dt.timedelta(days=1)) == {"reminders": 0, "emails": 0}
    assert len(mail.outbox) == 2


def test_overdue_is_a_second_reminder_sent_once():
    loan = loan_due(TODAY + dt.timedelta(days=3))
    run()
    assert run(loan.due_on) == {"reminders": 0, "emails": 0}  # due today: not late yet
    late = loan.due_on + dt.timedelta(days=1)
    assert run(late) == {"reminders": 1, "emails": 2}
    assert "dépassée" in mail.outbox[-1].subject
    assert run(late + dt.timedelta(days=10)) == {"reminders": 0, "emails": 0}
    assert list(SentReminder.objects.order_by("id").values_list("kind", flat=True)) == [
        "before_due",
        "overdue",
    ]


def test_a_household_without_e_mail_only_the_prescriber_is_told():
    loan_due(TODAY + dt.timedelta(days=1), household_email="")
    assert run() == {"reminders": 1, "emails": 1}
    assert SentReminder.objects.get().recipients == 1


def test_closed_loans_are_not_reminded():
    loan_due(TODAY - dt.timedelta(days=5), state="returned")
    assert run() == {"reminders": 0, "emails": 0}


def test_a_renewal_brings_a_new_reminder_for_the_new_due_date(staff):
    loan = loan_due(TODAY + dt.timedelta(days=5))
    run()
    # The loan is renewed by its lender: the reminder of the new due date will go too.
    type(loan).objects.filter(pk=loan.pk).update(organisation=staff.memberships.get().organisation)
    services.loan_renew(loan.pk, staff, due_on=loan.due_on + dt.timedelta(days=90))
    assert run() == {"reminders": 0, "emails": 0}
    assert run(loan.due_on + dt.timedelta(days=80)) == {"reminders": 1, "emails": 2}


def test_a_mail_failure_rolls_back_so_the_next_run_sends(monkeypatch):
    loan_due(TODAY + dt.timedelta(days=2))

    def broken(messages):
        raise ConnectionError("SMTP down")

    monkeypatch.setattr(notifications, "send_messages", broken)
    with pytest.raises(ConnectionError):
        run()
    assert not SentReminder.objects.exists()
    monkeypatch.undo()
    assert run() == {"reminders": 1, "emails": 2}


def test_a_reminder_already_taken_by_a_concurrent_run_is_skipped():
    first = loan_due(TODAY + dt.timedelta(days=2))
    second = loan_due(TODAY + dt.timedelta(days=2))
    batch = list(
        reminders._reminder_candidates("before_due", TODAY).select_related(
            "household", "organisation", "device", "request__created_by"
        )
    )
    SentReminder.objects.create(loan=first, kind="before_due", due_on=first.due_on)
    # The batch still holds the first loan (read before the other run recorded it).
    assert reminders._send_reminder_batch(batch, "before_due") == (1, 2)
    assert SentReminder.objects.filter(loan=second).count() == 1


def test_the_command(capsys):
    loan_due(timezone.localdate() + dt.timedelta(days=1))
    call_command("send_loan_reminders")
    assert "1 rappel(s), 2 courriel(s)" in capsys.readouterr().out
    call_command("send_loan_reminders", "--date", timezone.localdate().isoformat())
    assert "0 rappel(s)" in capsys.readouterr().out


def test_the_beat_schedule_runs_the_commands_tasks(settings):
    from prets import tasks

    tasks_by_name = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "prets.send_loan_reminders",
        "prets.send_training_reminders",
        "prets.expire_requests",
        "acteurs.anonymise_households",
    } <= tasks_by_name
    assert tasks.send_loan_reminders.delay().get(timeout=30) == {"reminders": 0, "emails": 0}
    assert tasks.send_training_reminders.delay().get(timeout=30) == {"reminders": 0, "emails": 0}


def test_a_prescriber_gets_one_digest_for_several_loans(prescriber, make_request):
    loans = [
        loan_due(TODAY + dt.timedelta(days=3), request=make_request(state="fulfilled"))
        for _ in range(3)
    ]
    assert run() == {"reminders": 3, "emails": 4}  # three households, one digest
    digest = next(m for m in mail.outbox if m.to == [prescriber.email])
    assert digest.subject == "3 prêts arrivent à échéance"
    for loan in loans:
        assert loan.device.public_code in digest.body
    assert set(SentReminder.objects.values_list("recipients", flat=True)) == {2}
