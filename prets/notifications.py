"""E-mails of the loan scheme. Called after commit (transaction.on_commit) by the services,
except reminders, which are sent by the reminder run inside its transaction (see
services.send_due_reminders). No personal data beyond the household's name goes to the
prescriber, who already knows it; the household's own e-mail never names the prescriber's."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Loan, ReminderKind, RequestEvent

SUBJECTS = {
    "submit": _("Demande n° %(n)s envoyée"),
    "approve": _("Demande n° %(n)s acceptée"),
    "reject": _("Demande n° %(n)s refusée"),
    "cancel": _("Demande n° %(n)s annulée"),
    "expire": _("Demande n° %(n)s expirée"),
    "allocate": _("Demande n° %(n)s : un appareil est réservé"),
    "release": _("Demande n° %(n)s : l'appareil réservé a été libéré"),
    "fulfil": _("Demande n° %(n)s : le foyer est équipé"),
}


def request_url(request_id: int) -> str:
    return settings.SITE_BASE_URL + reverse("prets:request", args=[request_id])


def notify_request_change(event_id: int) -> None:
    """Tell the prescriber who wrote the request what changed."""
    event = (
        RequestEvent.objects.select_related(
            "request__created_by", "request__refurbisher", "request__household", "actor"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return
    request = event.request
    recipient = request.created_by.email
    if not recipient or event.action not in SUBJECTS:
        return
    subject = str(SUBJECTS[event.action]) % {"n": request.pk}
    body = render_to_string(
        "prets/emails/request_change.txt",
        {"event": event, "request": request, "url": request_url(request.pk)},
    )
    send_mail(subject, body, None, [recipient])


def _reminder_texts(loan: Loan, kind: str, for_household: bool) -> tuple[str, str]:
    values = {
        "n": loan.pk,
        "due": loan.due_on.strftime("%d/%m/%Y"),
        "device": loan.device.public_code,
        "organisation": loan.organisation.name,
        "household": loan.household.name,
    }
    if kind == ReminderKind.BEFORE_DUE:
        subject = _("Prêt n° %(n)s : échéance le %(due)s") % values
        if for_household:
            body = _(
                "Bonjour,\n\nLe prêt de l'appareil %(device)s consenti par %(organisation)s "
                "arrive à échéance le %(due)s. Pensez à le rapporter complet avec ses "
                "accessoires, ou contactez l'association pour demander un renouvellement.\n\n"
                "%(organisation)s"
            )
        else:
            body = _(
                "Bonjour,\n\nLe prêt n° %(n)s (appareil %(device)s, foyer %(household)s) "
                "arrive à échéance le %(due)s.\n\nFilière"
            )
    else:
        subject = _("Prêt n° %(n)s : échéance dépassée (%(due)s)") % values
        if for_household:
            body = _(
                "Bonjour,\n\nLe prêt de l'appareil %(device)s consenti par %(organisation)s "
                "est arrivé à échéance le %(due)s. Merci de le rapporter ou de contacter "
                "l'association.\n\n%(organisation)s"
            )
        else:
            body = _(
                "Bonjour,\n\nLe prêt n° %(n)s (appareil %(device)s, foyer %(household)s) a "
                "dépassé son échéance du %(due)s.\n\nFilière"
            )
    body = body % values
    if for_household:
        body += _household_contact(loan)
    return subject, body


def _household_contact(loan: Loan) -> str:
    """Where the household reaches the association, and the device's code to give: the
    contact details the organisation filled in (a missing one is left out)."""
    organisation = loan.organisation
    lines = [
        _("Pour nous joindre :"),
        organisation.name,
        organisation.postal_address,
        _("Tél. %(phone)s") % {"phone": organisation.phone} if organisation.phone else "",
        _("Courriel : %(email)s") % {"email": organisation.email} if organisation.email else "",
        _("Code de l'appareil à rappeler : %(code)s") % {"code": loan.device.public_code},
    ]
    return "\n\n" + "\n".join(line for line in lines if line)


def reminder_messages(loans: list[Loan], kind: str) -> tuple[list[EmailMessage], dict]:
    """The reminders of a batch of loans: one message per household that has an e-mail, and
    one per prescriber (a digest when several of their loans are due together).

    Returns the messages and, per loan id, how many people were told."""
    messages = []
    told = {}
    by_prescriber: dict[str, list[Loan]] = {}
    for loan in loans:
        told[loan.pk] = 0
        if loan.household.email:
            subject, body = _reminder_texts(loan, kind, for_household=True)
            messages.append(EmailMessage(subject, body, None, [loan.household.email]))
            told[loan.pk] += 1
        prescriber = loan.request.created_by.email
        if prescriber:
            by_prescriber.setdefault(prescriber, []).append(loan)
            told[loan.pk] += 1
    for prescriber, own in by_prescriber.items():
        if len(own) == 1:
            subject, body = _reminder_texts(own[0], kind, for_household=False)
        else:
            subject, body = _digest_texts(own, kind)
        messages.append(EmailMessage(subject, body, None, [prescriber]))
    return messages, told


def _digest_texts(loans: list[Loan], kind: str) -> tuple[str, str]:
    if kind == ReminderKind.BEFORE_DUE:
        subject = _("%(count)s prêts arrivent à échéance") % {"count": len(loans)}
        intro = _("Ces prêts de foyers que vous accompagnez arrivent à échéance :")
    else:
        subject = _("%(count)s prêts ont dépassé leur échéance") % {"count": len(loans)}
        intro = _("Ces prêts de foyers que vous accompagnez ont dépassé leur échéance :")
    lines = [
        _("- prêt n° %(n)s, appareil %(device)s, foyer %(household)s : échéance le %(due)s")
        % {
            "n": loan.pk,
            "device": loan.device.public_code,
            "household": loan.household.name,
            "due": loan.due_on.strftime("%d/%m/%Y"),
        }
        for loan in loans
    ]
    return subject, "Bonjour,\n\n" + intro + "\n" + "\n".join(lines) + "\n\nFilière"


def send_messages(messages: list[EmailMessage]) -> int:
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


def training_reminder_messages(
    loans: list[Loan], kind: str, facilitators: dict[int, list[str]]
) -> tuple[list[EmailMessage], dict]:
    """The training reminders of a batch of loans: one message per loan to its prescriber
    and the facilitators of the lending organisation (``facilitators``: organisation id →
    e-mails). Never to the household: the reminder names no one but the loan."""
    messages = []
    told = {}
    for loan in loans:
        recipients = sorted(
            {
                e
                for e in [
                    loan.request.created_by.email,
                    *facilitators.get(loan.organisation_id, []),
                ]
                if e
            }
        )
        told[loan.pk] = len(recipients)
        if not recipients:
            continue
        values = {
            "n": loan.pk,
            "device": loan.device.public_code,
            "due": loan.training_due_on.strftime("%d/%m/%Y"),
            "training": loan.training_code,
            "url": settings.SITE_BASE_URL + reverse("prets:loan", args=[loan.pk]),
        }
        if kind == ReminderKind.TRAINING_SOON:
            subject = _("Prêt n° %(n)s : formation à suivre avant le %(due)s") % values
            body = (
                _(
                    "Bonjour,\n\nLe foyer du prêt n° %(n)s (appareil %(device)s) doit suivre la "
                    "formation « %(training)s » avant le %(due)s et n'y a pas encore assisté.\n"
                    "Proposez-lui une séance.\n\n%(url)s\n\nFilière"
                )
                % values
            )
        else:
            subject = _("Prêt n° %(n)s : formation non suivie dans le délai") % values
            body = (
                _(
                    "Bonjour,\n\nLe foyer du prêt n° %(n)s (appareil %(device)s) devait suivre la "
                    "formation « %(training)s » avant le %(due)s : elle n'a pas été suivie.\n"
                    "Le prêt est dans la liste « à faire » de l'équipe.\n\n%(url)s\n\nFilière"
                )
                % values
            )
        messages.append(EmailMessage(subject, body, None, recipients))
    return messages, told
