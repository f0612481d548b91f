"""Households' personal data: the export (right of access), erasure on request, anonymisation
after two years without contact, and the purge of old buyers' names."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from acteurs.consent import consent_text
from acteurs.models import Household
from ateliers.models import Enrolment

from ..models import (
    OPEN_REQUEST_STATES,
    AnonymisationReason,
    DeviceRequest,
    EligibilityCheck,
    HouseholdAnonymisation,
    Loan,
    LoanEvent,
    LoanFollowUp,
    LoanState,
    RequestEvent,
    Sale,
)
from ..provenance import add_months
from .base import Refused, _today
from .eligibility import _household_for_prescriber

ANONYMOUS_NAME = "Foyer anonymisé"


def household_export(household_id: int, actor) -> dict:
    """Everything Filière holds about a household (right of access, RGPD art. 15)."""
    household = _household_for_prescriber(household_id, actor)
    requests = DeviceRequest.objects.filter(household=household).select_related(
        "refurbisher", "training"
    )
    checks = EligibilityCheck.objects.filter(household=household).select_related("criterion")
    loans = (
        Loan.objects.filter(household=household)
        .select_related("device", "organisation")
        .prefetch_related("follow_ups")
    )
    sales = Sale.objects.filter(household=household).select_related("device", "organisation")
    enrolments = Enrolment.objects.filter(household=household).select_related(
        "session__workshop_type"
    )

    def day(value):
        return value.isoformat() if value else None

    return {
        "foyer": {
            "nom": household.name,
            "telephone": household.phone,
            "courriel": household.email,
            "commune": household.commune.name,
            "personnes": household.size,
            "situation": household.category_labels,
            "organisation": household.organisation.name,
            "information": {
                "le": day(household.consent_at),
                "version": household.consent_version,
                "texte": consent_text(household.consent_version, household.organisation.name),
            },
            "cree_le": day(household.created_at),
            "dernier_contact": day(household.last_contact_at),
        },
        "eligibilite": [
            {
                "critere": c.criterion.label,
                "justificatif_vu": c.proof_kind,
                "verifie_le": day(c.checked_on),
                "valable_jusqu_au": day(c.valid_until),
            }
            for c in checks
        ],
        "demandes": [
            {
                "numero": r.pk,
                "adressee_a": r.refurbisher.name,
                "appareil": r.get_device_kind_display(),
                "pour": r.get_purpose_display(),
                "mode": r.get_mode_display(),
                "etat": r.get_state_display(),
                "precisions": r.details,
                "formation": r.training.name if r.training else None,
                "creee_le": day(r.created_at),
                "motif_refus": r.rejection_reason,
            }
            for r in requests
        ],
        "prets": [
            {
                "numero": loan.pk,
                "preteur": loan.organisation.name,
                "appareil": loan.device.public_code,
                "debut": day(loan.started_on),
                "echeance": day(loan.due_on),
                "etat": loan.get_state_display(),
                "caution": str(loan.deposit_amount),
                "suivis": [
                    {"type": f.get_kind_display(), "le": day(f.on), "note": f.note}
                    for f in loan.follow_ups.all()
                ],
            }
            for loan in loans
        ],
        "achats": [
            {
                "recu": s.receipt_number,
                "vendeur": s.organisation.name,
                "appareil": s.device.public_code,
                "prix": str(s.price),
                "le": day(s.sold_on),
            }
            for s in sales
        ],
        "ateliers": [
            {
                "atelier": e.session.display_title,
                "le": day(e.session.starts_at),
                "inscription": e.get_status_display(),
                "presence": e.get_attendance_display() if e.attendance else None,
            }
            for e in enrolments
        ],
    }


def _anonymise(household: Household, reason: str, actor) -> None:
    Household.objects.filter(pk=household.pk).update(name=ANONYMOUS_NAME, phone="", email="")
    EligibilityCheck.objects.filter(household=household).update(proof_kind="")
    requests = DeviceRequest.objects.filter(household=household)
    requests.update(details="", rejection_reason="")
    RequestEvent.objects.filter(request__in=requests).redact_notes()
    LoanFollowUp.objects.filter(loan__household=household).update(note="")
    LoanEvent.objects.filter(loan__household=household).redact_notes()
    HouseholdAnonymisation.objects.create(household=household, reason=reason, by=actor)


def _blocking_reason(household_id: int) -> str | None:
    if Loan.objects.filter(household_id=household_id, state=LoanState.OPEN).exists():
        return _("Un prêt est en cours : clôturez-le avant d'effacer les données du foyer.")
    if DeviceRequest.objects.filter(
        household_id=household_id, state__in=OPEN_REQUEST_STATES
    ).exists():
        return _("Une demande est en cours : annulez-la avant d'effacer les données du foyer.")
    return None


def household_erase(household_id: int, actor) -> None:
    """Erase a household's personal data on request (RGPD art. 17). The row stays, anonymous,
    for the statistics and the accounting records of sales."""
    with transaction.atomic():
        household = _household_for_prescriber(household_id, actor)
        Household.objects.select_for_update().filter(pk=household.pk).first()
        blocking = _blocking_reason(household.pk)
        if blocking:
            raise Refused(blocking)
        _anonymise(household, AnonymisationReason.REQUEST, actor)


def anonymise_inactive_households(*, now=None, days: int | None = None) -> int:
    """Anonymise households without contact for ``days`` (settings.PRETS_ANONYMISE_AFTER_DAYS,
    two years by default), unless a loan or a request is still open."""
    now = now or timezone.now()
    days = settings.PRETS_ANONYMISE_AFTER_DAYS if days is None else days
    cutoff = now - dt.timedelta(days=days)
    open_loans = Loan.objects.filter(household=OuterRef("pk"), state=LoanState.OPEN)
    open_requests = DeviceRequest.objects.filter(
        household=OuterRef("pk"), state__in=OPEN_REQUEST_STATES
    )
    done = HouseholdAnonymisation.objects.filter(household=OuterRef("pk"))
    candidates = (
        Household.objects.filter(last_contact_at__lt=cutoff)
        .exclude(Exists(done))
        .exclude(Exists(open_loans))
        .exclude(Exists(open_requests))
        .values_list("pk", flat=True)
    )
    count = 0
    for pk in list(candidates):
        with transaction.atomic():
            household = Household.objects.select_for_update().filter(pk=pk).first()
            if household is None or household.last_contact_at >= cutoff:
                continue
            if HouseholdAnonymisation.objects.filter(household_id=pk).exists():
                continue
            if _blocking_reason(pk):
                continue
            _anonymise(household, AnonymisationReason.RETENTION, None)
            count += 1
    return count


def household_anonymise_again(household_id: int, *, reason: str, at, by_id=None) -> bool:
    """Replay an anonymisation recorded outside the database (exploitation's journal) after
    a restore of an older backup: the data were erased once, they go again, whatever is open
    in the restored rows. False when the household is absent or already anonymised."""
    from acteurs.models import User

    with transaction.atomic():
        household = Household.objects.select_for_update().filter(pk=household_id).first()
        if (
            household is None
            or HouseholdAnonymisation.objects.filter(household_id=household_id).exists()
        ):
            return False
        actor = User.objects.filter(pk=by_id).first() if by_id else None
        _anonymise(household, reason, actor)
        HouseholdAnonymisation.objects.filter(household_id=household_id).update(at=at)
    return True


def purge_old_buyer_names(*, today: dt.date | None = None, years: int | None = None) -> int:
    """Sales are accounting records kept ten years; then the buyer's name goes too."""
    today = today or _today()
    years = settings.PRETS_SALES_RETENTION_YEARS if years is None else years
    cutoff = add_months(today, -12 * years)
    return (
        Sale.objects.filter(sold_on__lt=cutoff)
        .exclude(buyer_name=ANONYMOUS_NAME)
        .update(buyer_name=ANONYMOUS_NAME)
    )
