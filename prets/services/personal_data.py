"""What the loan scheme keeps about a household, declared to ``acteurs.personal_data``
(``PretsConfig.ready`` registers ``SOURCE``): its export, its anonymisation (with the devices'
histories, through parc's audited redaction), why it holds back an erasure (an open loan or
request), and the purge of old buyers' names. The household's own fields, the erasure and
anonymisation services and the retention schedule are acteurs'."""

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from acteurs.personal_data import (
    ANONYMOUS_NAME,
    Anonymisation,
    Category,
    Description,
    PersonalDataField,
    PersonalDataSource,
    day,
)
from core.events import WithoutKeys
from parc import services as parc_services

from ..models import (
    OPEN_REQUEST_STATES,
    Allocation,
    DeviceRequest,
    EligibilityCheck,
    Loan,
    LoanEvent,
    LoanFollowUp,
    LoanState,
    RequestEvent,
    ReturnInspection,
    Sale,
)
from ..provenance import add_months
from .base import _today


def export(household) -> dict:
    """The loan scheme's sections of a household's export (right of access)."""
    requests = DeviceRequest.objects.filter(household=household).select_related(
        "refurbisher", "training"
    )
    checks = EligibilityCheck.objects.filter(household=household).select_related("criterion")
    loans = (
        Loan.objects.filter(household=household)
        .select_related("device", "organisation", "inspection")
        .prefetch_related("follow_ups")
    )
    sales = Sale.objects.filter(household=household).select_related("device", "organisation")

    def inspection(loan):
        found = getattr(loan, "inspection", None)
        if found is None:
            return None
        return {
            "rendu_le": day(found.returned_on),
            "complet": found.complete,
            "accessoires_rendus": found.accessories_returned,
            "degats": found.damage,
            "note": found.note,
        }

    return {
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
                "besoins_d_usage": r.need_labels,
                "accord_besoins_le": day(r.needs_consent_at),
                "formation": r.training.name if r.training else None,
                "creee_le": day(r.created_at),
                "motif_refus": r.rejection_reason,
                "historique": [
                    {"le": day(e.at), "quoi": e.action_label, "note": e.note}
                    for e in RequestEvent.objects.filter(request=r).order_by("id")
                ],
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
                "frais": {
                    "montant": str(loan.fee_amount),
                    "regles_le": day(loan.fee_paid_on) if loan.fee_paid_on else None,
                    "rembourses_le": day(loan.fee_refunded_on) if loan.fee_refunded_on else None,
                    "motif_du_remboursement": loan.get_fee_refund_reason_display() or None,
                },
                "suivis": [
                    {"type": f.get_kind_display(), "le": day(f.on), "note": f.note}
                    for f in loan.follow_ups.all()
                ],
                "retour": inspection(loan),
                "historique": [
                    {"le": day(e.at), "quoi": e.action_label, "note": e.note}
                    for e in LoanEvent.objects.filter(loan=loan).order_by("id")
                ],
            }
            for loan in loans
        ],
        "achats": [
            {
                "recu": s.receipt_number,
                "vendeur": s.organisation.name,
                "appareil": s.device.public_code,
                "acheteur": s.buyer_name,
                "prix": str(s.price),
                "le": day(s.sold_on),
            }
            for s in sales
        ],
    }


def anonymise(anonymisation: Anonymisation) -> None:
    """Erase what the loan scheme's rows say about the household; histories (append-only)
    through the kernel's audited ``redact``. Sales keep the buyer's name (accounting records,
    ten years: ``purge_old_buyer_names``)."""
    household_id = anonymisation.household_id
    why, actor = anonymisation.why, anonymisation.actor
    EligibilityCheck.objects.filter(household_id=household_id).update(proof_kind="")
    requests = DeviceRequest.objects.filter(household_id=household_id)
    request_ids = list(requests.values_list("pk", flat=True))
    requests.update(details="", rejection_reason="", needs=0, needs_consent_at=None)
    Allocation.objects.filter(request_id__in=request_ids).exclude(note="").update(note="")
    Allocation.objects.filter(request_id__in=request_ids).exclude(needs_met=0).update(needs_met=0)
    loans = Loan.objects.filter(household_id=household_id)
    loan_ids = list(loans.values_list("pk", flat=True))
    LoanFollowUp.objects.filter(loan_id__in=loan_ids).update(note="")
    ReturnInspection.objects.filter(loan_id__in=loan_ids).update(damage="", note="")
    request_events = RequestEvent.objects.filter(request_id__in=request_ids)
    if request_events.exclude(note="").exists():
        request_events.exclude(note="").redact(note="", reason=why, actor=actor)
    loan_events = LoanEvent.objects.filter(loan_id__in=loan_ids)
    if loan_events.exclude(note="").exists():
        loan_events.exclude(note="").redact(note="", reason=why, actor=actor)
    with_damage = loan_events.filter(data__has_key="damage")
    if with_damage.exists():
        with_damage.redact(data=WithoutKeys("data", "damage"), reason=why, actor=actor)
    device_ids = set(loans.values_list("device_id", flat=True))
    sales = Sale.objects.filter(household_id=household_id)
    device_ids |= set(sales.values_list("device_id", flat=True))
    device_ids |= set(
        Allocation.objects.filter(request_id__in=request_ids).values_list("device_id", flat=True)
    )
    parc_services.device_history_redact(
        loan_ids=loan_ids,
        request_ids=request_ids,
        device_ids=sorted(device_ids),
        strings=anonymisation.strings,
        reason=why,
        actor=actor,
    )


def objects(household) -> list:
    """The loan scheme's rows about the household (their admin-log entries are scrubbed)."""
    requests = DeviceRequest.objects.filter(household=household)
    loans = Loan.objects.filter(household=household)
    return [
        EligibilityCheck.objects.filter(household=household),
        requests,
        Allocation.objects.filter(request__in=requests),
        loans,
        LoanFollowUp.objects.filter(loan__in=loans),
        ReturnInspection.objects.filter(loan__in=loans),
        Sale.objects.filter(household=household),
    ]


def blocks_erasure(household) -> str | None:
    if Loan.objects.filter(household=household, state=LoanState.OPEN).exists():
        return _("Un prêt est en cours : clôturez-le avant d'effacer les données du foyer.")
    if DeviceRequest.objects.filter(household=household, state__in=OPEN_REQUEST_STATES).exists():
        return _("Une demande est en cours : annulez-la avant d'effacer les données du foyer.")
    return None


def exclude_blocked(households):
    open_loans = Loan.objects.filter(household=OuterRef("pk"), state=LoanState.OPEN)
    open_requests = DeviceRequest.objects.filter(
        household=OuterRef("pk"), state__in=OPEN_REQUEST_STATES
    )
    return households.exclude(Exists(open_loans)).exclude(Exists(open_requests))


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


def describe() -> Description:
    free = Category.FREE_TEXT
    return Description(
        purpose=_(
            "Équiper les foyers : vérifier leur éligibilité, transmettre la demande du "
            "prescripteur à l'association, prêter ou vendre un appareil à prix solidaire, "
            "suivre le prêt et son retour."
        ),
        legal_basis=_(
            "Mission d'intérêt public ou intérêt légitime (accompagnement social et numérique) ; "
            "obligation légale pour les pièces comptables des ventes."
        ),
        retention=_(
            "Avec le foyer (%(days)s jours après le dernier contact), sauf les ventes : pièces "
            "comptables gardées %(years)s ans avec le nom de l'acheteur, puis anonymisées."
        )
        % {
            "days": settings.HOUSEHOLD_RETENTION_DAYS,
            "years": settings.PRETS_SALES_RETENTION_YEARS,
        },
        recipients=_(
            "Les prescripteurs de la structure du foyer ; l'équipe de l'association à qui la "
            "demande est adressée ; les techniciens voient l'appareil, jamais le foyer."
        ),
        fields=(
            PersonalDataField("prets.EligibilityCheck", "proof_kind", Category.ELIGIBILITY),
            PersonalDataField(
                "prets.EligibilityCheck",
                "criterion, checked_on, valid_until",
                Category.ELIGIBILITY,
                kept=True,
                kept_because=_("statistiques anonymes"),
            ),
            PersonalDataField("prets.DeviceRequest", "details", free, free_text=True),
            PersonalDataField("prets.DeviceRequest", "needs, needs_consent_at", Category.EQUIPMENT),
            PersonalDataField("prets.Allocation", "needs_met", Category.EQUIPMENT),
            PersonalDataField(
                "prets.Voucher",
                "issuer, issuer_key, number",
                Category.EQUIPMENT,
                kept=True,
                kept_because=_(
                    "pièce comptable de la vente ou des frais de prêt, à réclamer à l'émetteur"
                ),
            ),
            PersonalDataField("prets.DeviceRequest", "rejection_reason", free, free_text=True),
            PersonalDataField("prets.RequestEvent", "note", free, free_text=True),
            PersonalDataField("prets.Allocation", "note", free, free_text=True),
            PersonalDataField("prets.LoanEvent", "note", free, free_text=True),
            PersonalDataField("prets.LoanEvent", "data.damage", free, free_text=True),
            PersonalDataField("prets.LoanFollowUp", "note", free, free_text=True),
            PersonalDataField("prets.ReturnInspection", "damage", free, free_text=True),
            PersonalDataField("prets.ReturnInspection", "note", free, free_text=True),
            PersonalDataField("parc.DeviceEvent", "note", free, free_text=True),
            PersonalDataField("parc.DeviceEvent", "data.damage", free, free_text=True),
            PersonalDataField(
                "prets.Sale",
                "buyer_name",
                Category.IDENTITY,
                kept=True,
                kept_because=_(
                    "pièce comptable (Code de commerce, art. L123-22) : %(years)s ans, puis "
                    "anonymisée"
                )
                % {"years": settings.PRETS_SALES_RETENTION_YEARS},
            ),
            PersonalDataField(
                "prets.DeviceRequest",
                "device_kind, purpose, mode, urgency, state",
                Category.EQUIPMENT,
                kept=True,
                kept_because=_("statistiques anonymes"),
            ),
            PersonalDataField(
                "prets.Loan",
                "device, started_on, due_on, state",
                Category.EQUIPMENT,
                kept=True,
                kept_because=_("statistiques anonymes et suivi du parc"),
            ),
        ),
    )


SOURCE = PersonalDataSource(
    name="prets",
    label=gettext_lazy("Équipement : éligibilité, demandes, prêts et achats"),
    describe=describe,
    export=export,
    anonymise=anonymise,
    objects=objects,
    blocks_erasure=blocks_erasure,
    exclude_blocked=exclude_blocked,
    purge=purge_old_buyer_names,
    order=20,
)
