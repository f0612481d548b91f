"""Loan reminders (before the due date, overdue; the training to follow within N days of the
handover, before its deadline and once missed), sent in batches, each at most once."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from acteurs.models import Membership, Role

from .. import notifications
from ..models import TRAINING_REMINDER_DAYS, Loan, LoanState, ReminderKind, SentReminder
from ..selectors import training_not_attended
from .base import _today


def _reminder_candidates(kind: str, today: dt.date):
    sent = SentReminder.objects.filter(loan=OuterRef("pk"), kind=kind, due_on=OuterRef("due_on"))
    queryset = Loan.objects.filter(state=LoanState.OPEN, remind_from__lte=today)
    if kind == ReminderKind.BEFORE_DUE:
        queryset = queryset.filter(due_on__gte=today)
    else:
        queryset = queryset.filter(due_on__lt=today)
    return queryset.exclude(Exists(sent))


def send_due_reminders(*, today: dt.date | None = None, batch_size: int = 500) -> dict:
    """Send the reminders due today, each once: before the due date (from the organisation's
    reminder delay) and once the due date is past, to the household when it has an e-mail
    and to the prescriber.

    Each batch records its reminders and sends their e-mails in one transaction: the unique
    constraint on (loan, kind, due date) refuses a second run's duplicate, and a mail server
    failure rolls the batch back so the next run sends it.
    """
    today = today or _today()
    counts = {"reminders": 0, "emails": 0}
    for kind in (ReminderKind.BEFORE_DUE, ReminderKind.OVERDUE):
        last_id = 0
        while True:
            batch = list(
                _reminder_candidates(kind, today)
                .filter(pk__gt=last_id)
                .select_related(
                    "household", "organisation__commune", "device", "request__created_by"
                )
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            last_id = batch[-1].pk
            sent = _send_reminder_batch(batch, kind)
            counts["reminders"] += sent[0]
            counts["emails"] += sent[1]
    return counts


def _send_reminder_batch(loans: list[Loan], kind: str) -> tuple[int, int]:
    now = timezone.now()
    try:
        with transaction.atomic():
            messages, told = notifications.reminder_messages(loans, kind)
            SentReminder.objects.bulk_create(
                SentReminder(
                    loan=loan, kind=kind, due_on=loan.due_on, recipients=told[loan.pk], sent_at=now
                )
                for loan in loans
            )
            notifications.send_messages(messages)
            return len(loans), len(messages)
    except IntegrityError:
        # Another run got some of them first: go one by one, skipping those already sent.
        pass
    reminders = emails = 0
    for loan in loans:
        try:
            with transaction.atomic():
                messages, told = notifications.reminder_messages([loan], kind)
                SentReminder.objects.create(
                    loan=loan, kind=kind, due_on=loan.due_on, recipients=told[loan.pk], sent_at=now
                )
                notifications.send_messages(messages)
        except IntegrityError:
            continue
        reminders += 1
        emails += len(messages)
    return reminders, emails


# --- the training to follow within N days of the handover ------------------------------------


def _training_candidates(kind: str, today: dt.date):
    sent = SentReminder.objects.filter(
        loan=OuterRef("pk"), kind=kind, due_on=OuterRef("training_due_on")
    )
    queryset = Loan.objects.filter(state=LoanState.OPEN, training_due_on__isnull=False)
    if kind == ReminderKind.TRAINING_SOON:
        queryset = queryset.filter(
            training_due_on__gte=today,
            training_due_on__lte=today + dt.timedelta(days=TRAINING_REMINDER_DAYS),
        )
    else:
        queryset = queryset.filter(training_due_on__lt=today)
    return queryset.filter(training_not_attended()).exclude(Exists(sent))


def send_training_reminders(*, today: dt.date | None = None, batch_size: int = 500) -> dict:
    """Remind the prescriber and the facilitators of the lending organisation of a training
    deadline: once in the last TRAINING_REMINDER_DAYS days, once when it has passed without
    the household attending. Each reminder once (the unique constraint on (loan, kind, due
    date), the deadline as the due date)."""
    today = today or _today()
    counts = {"reminders": 0, "emails": 0}
    for kind in (ReminderKind.TRAINING_SOON, ReminderKind.TRAINING_MISSED):
        last_id = 0
        while True:
            batch = list(
                _training_candidates(kind, today)
                .filter(pk__gt=last_id)
                .select_related("device", "request__created_by")
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            last_id = batch[-1].pk
            facilitators: dict[int, list[str]] = {}
            for org_id, email in Membership.objects.filter(
                organisation_id__in={loan.organisation_id for loan in batch},
                role=Role.FACILITATOR,
                user__is_active=True,
            ).values_list("organisation_id", "user__email"):
                facilitators.setdefault(org_id, []).append(email)
            now = timezone.now()
            for loan in batch:
                try:
                    with transaction.atomic():
                        messages, told = notifications.training_reminder_messages(
                            [loan], kind, facilitators
                        )
                        SentReminder.objects.create(
                            loan=loan,
                            kind=kind,
                            due_on=loan.training_due_on,
                            recipients=told[loan.pk],
                            sent_at=now,
                        )
                        notifications.send_messages(messages)
                except IntegrityError:
                    continue
                counts["reminders"] += 1
                counts["emails"] += len(messages)
    return counts
