"""The loan scheme: eligibility, requests from social workers, allocation of a device,
loans and their follow-up, sales at a solidarity price. What of it is a household's personal
data, and how it is exported and anonymised, is declared to ``acteurs.personal_data`` by
``prets.personal_data`` (registered in ``PretsConfig.ready``).

Requests and loans are ``core.statemachine.StatefulModel``s: a state is saved only with its
event row (``RequestEvent``, ``LoanEvent``: append-only ``core.events.Event``s). Transitions
(django-fsm-2, ``protected=True``) hold source, target and the changes to their own row; the
machines of ``prets.transitions`` run them (the kernel's engine); services (prets/services/)
check who acts, write the other rows, and drive the device through parc's typed services
(``parc.services.device_lend``…) in the same transaction.

What the database holds by itself: one active allocation per device and per request, one
open loan per device (partial unique constraints), a due date on or after the start, gapless
sale numbers per organisation (unique, allocated from a locked counter row), each reminder
recorded once (unique).
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from acteurs.models import Household, Organisation
from ateliers.models import WorkshopType
from core.events import Event
from core.statemachine import StatefulModel
from parc.models import Adaptation, Device, DeviceKind, Grade, UsageProfile

# --- eligibility ----------------------------------------------------------------------------


class EligibilityCriterion(models.Model):
    """A reason a household may receive a device, configured by the coordination."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("intitulé"), max_length=150)
    proofs = models.TextField(
        _("justificatifs acceptés"),
        help_text=_("Un par ligne, par exemple « attestation CAF de moins de 3 mois »."),
    )
    validity_months = models.PositiveSmallIntegerField(
        _("validité (mois)"), default=12, validators=[MinValueValidator(1)]
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(_("proposé"), default=True)

    class Meta:
        verbose_name = _("critère d'éligibilité")
        verbose_name_plural = _("critères d'éligibilité")
        ordering = ["position", "label"]

    def __str__(self):
        return self.label

    @property
    def proof_list(self) -> list[str]:
        return [line.strip() for line in self.proofs.splitlines() if line.strip()]


class EligibilityCheck(models.Model):
    """A criterion checked on a proof seen by a social worker. Never a scan of the document,
    never an income: only the kind of proof and how long the check holds."""

    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="eligibility_checks",
        verbose_name=_("foyer"),
    )
    criterion = models.ForeignKey(
        EligibilityCriterion,
        on_delete=models.PROTECT,
        related_name="checks",
        verbose_name=_("critère"),
    )
    proof_kind = models.CharField(_("justificatif vu"), max_length=150, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vérifié par"),
    )
    checked_on = models.DateField(_("vérifié le"), default=timezone.localdate)
    valid_until = models.DateField(_("valable jusqu'au"))
    recorded_at = models.DateTimeField(_("enregistré le"), default=timezone.now)

    class Meta:
        verbose_name = _("vérification d'éligibilité")
        verbose_name_plural = _("vérifications d'éligibilité")
        ordering = ["-checked_on", "-id"]
        indexes = [models.Index(fields=["household", "-valid_until"], name="elig_household")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("checked_on")),
                name="eligibility_valid_after_check",
            )
        ]

    def __str__(self):
        return f"{self.criterion} – {self.valid_until:%d/%m/%Y}"

    def is_valid_on(self, day: dt.date | None = None) -> bool:
        return self.valid_until >= (day or timezone.localdate())


# --- handover policy and prices per refurbishing organisation --------------------------------


class TrainingRule(models.TextChoices):
    NOT_REQUIRED = "not_required", _("pas de formation exigée")
    BEFORE = "before", _("formation suivie avant la remise")
    WITHIN_DAYS = "within_days", _("formation à suivre dans les N jours après la remise")


class HandoverPolicy(models.Model):
    """How a refurbishing organisation hands devices over: training, loan duration, deposit,
    reminders and the conditions printed on the loan agreement."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.CASCADE,
        related_name="handover_policy",
        verbose_name=_("organisation"),
        limit_choices_to={"is_refurbisher": True},
    )
    training_rule = models.CharField(
        _("formation"),
        max_length=20,
        choices=TrainingRule.choices,
        default=TrainingRule.NOT_REQUIRED,
    )
    training_days = models.PositiveSmallIntegerField(
        _("délai pour suivre la formation (jours)"), default=30
    )
    training_type = models.ForeignKey(
        WorkshopType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("formation exigée"),
        help_text=_("Vide : la formation prescrite dans la demande, sinon l'initiation."),
    )
    training_lookback_days = models.PositiveSmallIntegerField(
        _("formation prise en compte si suivie depuis (jours)"), default=365
    )
    default_loan_days = models.PositiveSmallIntegerField(
        _("durée de prêt par défaut (jours)"), default=365, validators=[MinValueValidator(1)]
    )
    default_deposit = models.DecimalField(
        _("caution par défaut (€)"), max_digits=7, decimal_places=2, default=Decimal("0")
    )
    default_fee = models.DecimalField(
        _("frais de prêt par défaut (€)"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Réglés à la remise de l'appareil, en espèces, carte ou chèque numérique."),
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("rappel avant l'échéance (jours)"), default=14
    )
    loan_conditions = models.TextField(
        _("conditions du prêt"),
        blank=True,
        help_text=_("Imprimées sur la convention de prêt."),
    )

    class Meta:
        verbose_name = _("politique de remise")
        verbose_name_plural = _("politiques de remise")

    def __str__(self):
        return str(self.organisation)


DEFAULT_LOAN_CONDITIONS = _(
    "L'appareil est prêté gratuitement pour un usage personnel et familial. L'emprunteur en "
    "prend soin, ne le prête pas et ne le revend pas. Il le rend à l'échéance, complet avec "
    "ses accessoires, ou demande un renouvellement. En cas de panne, de perte ou de vol, il "
    "prévient l'association au plus vite. Les données personnelles laissées sur l'appareil "
    "sont effacées à son retour."
)


class PriceSuggestion(models.Model):
    """An organisation's usual price for a kind and a grade (pricing.DEFAULT_SUGGESTED
    otherwise)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    kind = models.CharField(_("type"), max_length=20, choices=DeviceKind.choices)
    grade = models.CharField(_("état esthétique"), max_length=1, choices=Grade.choices)
    price = models.DecimalField(
        _("prix conseillé (€ TTC)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("prix conseillé")
        verbose_name_plural = _("prix conseillés")
        ordering = ["organisation", "kind", "grade"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "grade"], name="price_suggestion_unique"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.grade} : {self.price} €"


# --- usage needs and recommended profiles (issue 15) ----------------------------------------


class Need(models.IntegerChoices):
    """A household's usage needs, in plain categories that are not health data: what the
    device must do, never why. Each value is one bit of ``DeviceRequest.needs``: never
    renumber."""

    LARGE_SCREEN = 1, _("grand écran")
    LARGE_KEYS = 2, _("clavier à grosses touches")
    SCREEN_READER = 4, _("lecteur d'écran")
    VOICE_CONTROL = 8, _("commande vocale")
    SIMPLIFIED = 16, _("interface simplifiée")
    WEBCAM = 32, _("webcam pour les appels vidéo")
    OFFICE = 64, _("suite bureautique pour l'école ou le travail")
    MOBILE_DATA = 128, _("données mobiles")


# The adaptations (parc) that meet each need: any one of them. The simplified interface is
# met by a usage profile of level 1 instead (see ``prets.matching``).
NEED_MET_BY: dict[int, int] = {
    Need.LARGE_SCREEN: Adaptation.LARGE_SCREEN,
    Need.LARGE_KEYS: Adaptation.LARGE_KEYS,
    Need.SCREEN_READER: Adaptation.NVDA | Adaptation.ORCA,
    Need.VOICE_CONTROL: Adaptation.VOICE_CONTROL,
    Need.WEBCAM: Adaptation.WEBCAM,
    Need.OFFICE: Adaptation.OFFICE_SUITE,
    Need.MOBILE_DATA: Adaptation.MOBILE_DATA,
}
SIMPLIFIED_PROFILE_LEVEL = 1


def need_labels(mask: int) -> list[str]:
    return [str(label) for value, label in Need.choices if mask & value]


class ProfileRule(models.Model):
    """The coordination's table from a household's autonomy (the average of its latest
    assessment's PIX levels, 1 to 3) to the usage profile recommended, with the reason shown
    to the prescriber and the desk. The first rule whose bound is at or above the average
    applies."""

    up_to_average = models.DecimalField(
        _("moyenne des niveaux jusqu'à"),
        max_digits=3,
        decimal_places=2,
        unique=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("3"))],
        help_text=_("Niveaux PIX : 1 avec aide, 2 sans aide, 3 en autonomie."),
    )
    profile = models.ForeignKey(
        UsageProfile, on_delete=models.PROTECT, related_name="+", verbose_name=_("profil conseillé")
    )
    reason = models.CharField(_("pourquoi"), max_length=300)

    class Meta:
        verbose_name = _("règle de profil conseillé")
        verbose_name_plural = _("profils conseillés selon l'autonomie")
        ordering = ["up_to_average"]

    def __str__(self):
        return f"≤ {self.up_to_average} : {self.profile}"


# --- requests -------------------------------------------------------------------------------


class Purpose(models.TextChoices):
    PROCEDURES = "procedures", _("démarches administratives")
    EMPLOYMENT = "employment", _("emploi, formation")
    SCHOOL = "school", _("scolarité")
    HEALTH = "health", _("santé")
    SOCIAL = "social", _("lien social")


class Mode(models.TextChoices):
    LOAN = "loan", _("prêt")
    PURCHASE = "purchase", _("achat solidaire")


class Urgency(models.IntegerChoices):
    NORMAL = 0, _("normale")
    URGENT = 1, _("urgente")
    VERY_URGENT = 2, _("très urgente")


class RequestState(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Envoyée")
    APPROVED = "approved", _("Acceptée")
    REJECTED = "rejected", _("Refusée")
    FULFILLED = "fulfilled", _("Équipé")
    CANCELLED = "cancelled", _("Annulée")
    EXPIRED = "expired", _("Expirée")


OPEN_REQUEST_STATES = (RequestState.DRAFT, RequestState.SUBMITTED, RequestState.APPROVED)


def consent_given(request) -> bool:
    return request.consent_informed


def has_reason(request) -> bool:
    return bool(request.rejection_reason.strip())


class DeviceRequest(StatefulModel):
    """A social worker's request for a device for a household, addressed to one refurbishing
    organisation. Permissions are checked by the services (prets/permissions.py), which know
    both sides; the transitions hold the states and the conditions."""

    EVENT_MODEL = "prets.RequestEvent"
    EVENT_SUBJECT = "request"

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="device_requests", verbose_name=_("foyer")
    )
    # The household's organisation when the request was made: whose social workers follow it.
    prescriber_org = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="requests_made",
        verbose_name=_("structure prescriptrice"),
    )
    refurbisher = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="requests_received",
        verbose_name=_("adressée à"),
        limit_choices_to={"is_refurbisher": True},
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="device_requests",
        verbose_name=_("prescripteur"),
    )
    device_kind = models.CharField(_("appareil demandé"), max_length=20, choices=DeviceKind.choices)
    purpose = models.CharField(_("pour"), max_length=20, choices=Purpose.choices)
    mode = models.CharField(_("prêt ou achat"), max_length=10, choices=Mode.choices)
    urgency = models.PositiveSmallIntegerField(
        _("urgence"), choices=Urgency.choices, default=Urgency.NORMAL
    )
    training = models.ForeignKey(
        WorkshopType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("formation prescrite"),
    )
    eligibility = models.ForeignKey(
        EligibilityCheck,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("éligibilité"),
    )
    details = models.CharField(
        _("précisions"),
        max_length=300,
        blank=True,
        help_text=_("Le besoin seulement : pas d'information de santé ni de situation familiale."),
    )
    consent_informed = models.BooleanField(_("foyer informé"), default=False)
    consent_at = models.DateTimeField(_("informé le"), null=True, blank=True)
    # Usage needs (a bit mask of Need), recorded only with the household's consent, whose
    # date is kept: never shown to funders, counted in reports with small counts hidden.
    needs = models.PositiveIntegerField(_("besoins d'usage"), default=0, db_default=0)
    needs_consent_at = models.DateTimeField(
        _("accord du foyer pour ses besoins le"), null=True, blank=True
    )
    state = FSMField(
        _("état"), default=RequestState.DRAFT, choices=RequestState.choices, protected=True
    )
    rejection_reason = models.CharField(_("motif du refus"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    submitted_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    # state_changed_at (core.statemachine.StatefulModel): drives the expiry of a request.

    class Meta:
        verbose_name = _("demande d'équipement")
        verbose_name_plural = _("demandes d'équipement")
        ordering = ["-id"]
        indexes = [
            # The incoming queue: most urgent first, then oldest.
            models.Index(
                fields=["refurbisher", "state", "-urgency", "submitted_at", "id"],
                name="request_queue",
            ),
            models.Index(fields=["prescriber_org", "-id"], name="request_prescriber"),
            models.Index(fields=["household", "-id"], name="request_household"),
            models.Index(fields=["state", "state_changed_at"], name="request_state_since"),
        ]

    def __str__(self):
        return _("Demande n° %(n)s") % {"n": self.pk}

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_REQUEST_STATES

    @property
    def need_labels(self) -> list[str]:
        return need_labels(self.needs)

    @transition(
        field=state,
        source=RequestState.DRAFT,
        target=RequestState.SUBMITTED,
        conditions=[consent_given],
        custom={"label": _("Envoyer la demande")},
    )
    def submit(self):
        self.submitted_at = timezone.now()

    @transition(
        field=state,
        source=RequestState.SUBMITTED,
        target=RequestState.APPROVED,
        custom={"label": _("Accepter")},
    )
    def approve(self):
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=RequestState.SUBMITTED,
        target=RequestState.REJECTED,
        conditions=[has_reason],
        custom={"label": _("Refuser")},
    )
    def reject(self):
        now = timezone.now()
        self.decided_at = now
        self.closed_at = now

    @transition(
        field=state,
        source=RequestState.APPROVED,
        target=RequestState.FULFILLED,
        custom={"label": _("Équipé")},
    )
    def fulfil(self):
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=[RequestState.DRAFT, RequestState.SUBMITTED, RequestState.APPROVED],
        target=RequestState.CANCELLED,
        custom={"label": _("Annuler la demande")},
    )
    def cancel(self):
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=[RequestState.SUBMITTED, RequestState.APPROVED],
        target=RequestState.EXPIRED,
        custom={"label": _("Expirer")},
    )
    def expire(self):
        self.closed_at = timezone.now()


class RequestEvent(Event):
    """Append-only history of a request (core.events): written by prets/events.py only."""

    class Action(models.TextChoices):
        CREATE = "create", _("demande écrite")
        SUBMIT = "submit", _("envoyée")
        APPROVE = "approve", _("acceptée")
        REJECT = "reject", _("refusée")
        CANCEL = "cancel", _("annulée")
        EXPIRE = "expire", _("expirée")
        ALLOCATE = "allocate", _("appareil réservé")
        RELEASE = "release", _("appareil libéré")
        FULFIL = "fulfil", _("foyer équipé")

    STATES = RequestState

    request = models.ForeignKey(
        DeviceRequest, on_delete=models.PROTECT, related_name="events", verbose_name=_("demande")
    )

    class Meta(Event.Meta):
        verbose_name = _("événement de demande")
        verbose_name_plural = _("historique des demandes")
        indexes = [models.Index(fields=["request", "-id"], name="request_event_request")]

    def __str__(self):
        return f"{self.request_id} {self.action} {self.at:%d/%m/%Y %H:%M}"


# --- allocation -----------------------------------------------------------------------------


class AllocationStatus(models.TextChoices):
    ACTIVE = "active", _("en cours")
    RELEASED = "released", _("libérée")
    HANDED_OVER = "handed_over", _("remis au foyer")
    LOST = "lost", _("appareil perdu")


class Allocation(models.Model):
    """A ready device set aside for an approved request, until it is handed over or
    released."""

    request = models.ForeignKey(
        DeviceRequest,
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("demande"),
    )
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("appareil")
    )
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=AllocationStatus.choices,
        default=AllocationStatus.ACTIVE,
    )
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    allocated_at = models.DateTimeField(_("attribué le"), default=timezone.now)
    ended_at = models.DateTimeField(_("fin le"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("terminée par"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    # The request's needs this device meets (a bit mask of Need), fixed when it is set aside.
    needs_met = models.PositiveIntegerField(_("besoins couverts"), default=0, db_default=0)

    class Meta:
        verbose_name = _("attribution")
        verbose_name_plural = _("attributions")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(status="active"),
                name="allocation_one_active_per_device",
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="active"),
                name="allocation_one_active_per_request",
            ),
        ]

    def __str__(self):
        return f"{self.device} → {self.request}"


# --- loans ----------------------------------------------------------------------------------


class FeeRefundReason(models.TextChoices):
    """Why a loan fee was given back (a choice, not free text: no household's words)."""

    DEVICE_FAULTY = "device_faulty", _("appareil défectueux")
    RETURNED_EARLY = "returned_early", _("appareil rendu peu après la remise")
    LOAN_CANCELLED = "loan_cancelled", _("prêt annulé")
    ENTRY_ERROR = "entry_error", _("erreur d'encaissement ou de saisie")
    HARDSHIP = "hardship", _("difficultés du foyer")


class LoanState(models.TextChoices):
    OPEN = "open", _("en cours")
    RETURNED = "returned", _("rendu")
    TRANSFERRED = "transferred", _("cédé au foyer")
    LOST = "lost", _("perdu ou volé")


class Loan(StatefulModel):
    """A device lent to a household. Its state is saved only with its ``LoanEvent``."""

    EVENT_MODEL = "prets.LoanEvent"
    EVENT_SUBJECT = "loan"

    request = models.OneToOneField(
        DeviceRequest, on_delete=models.PROTECT, related_name="loan", verbose_name=_("demande")
    )
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="loans", verbose_name=_("appareil")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="loans", verbose_name=_("foyer")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="loans", verbose_name=_("prêteur")
    )
    state = FSMField(_("état"), default=LoanState.OPEN, choices=LoanState.choices, protected=True)
    started_on = models.DateField(_("début"))
    due_on = models.DateField(_("échéance"))
    # due_on minus the organisation's reminder delay: an index range finds the loans to remind.
    remind_from = models.DateField(_("rappel à partir du"))
    renewals = models.PositiveSmallIntegerField(_("renouvellements"), default=0)
    deposit_amount = models.DecimalField(
        _("caution (€)"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    deposit_paid_on = models.DateField(_("caution versée le"), null=True, blank=True)
    # The loan fee (issue 15): paid at the handover, wholly or in part by vouchers; revenue
    # « frais de prêt » of the economics dashboard.
    fee_amount = models.DecimalField(
        _("frais de prêt (€)"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    deposit_refunded_on = models.DateField(_("caution rendue le"), null=True, blank=True)
    # When the fee was paid (at the handover, or later), and its refund: a refunded fee is no
    # longer revenue (rapports.economics), and its vouchers are not to be claimed.
    fee_paid_on = models.DateField(_("frais réglés le"), null=True, blank=True)
    fee_refunded_on = models.DateField(_("frais remboursés le"), null=True, blank=True)
    fee_refund_reason = models.CharField(
        _("motif du remboursement des frais"),
        max_length=20,
        choices=FeeRefundReason.choices,
        blank=True,
    )
    agreement_signed_on = models.DateField(_("convention signée le"), null=True, blank=True)
    training_due_on = models.DateField(_("formation à suivre avant le"), null=True, blank=True)
    training_code = models.CharField(_("formation attendue"), max_length=30, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    closed_on = models.DateField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("prêt")
        verbose_name_plural = _("prêts")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["remind_from"], name="loan_open_remind", condition=Q(state="open")
            ),
            models.Index(fields=["organisation", "state", "due_on"], name="loan_org_state_due"),
            models.Index(fields=["household", "-id"], name="loan_household"),
            # The households equipped by a set of donations (rapports.selectors.households):
            # read from this index alone, merged with the devices' (donation, id) index.
            models.Index(fields=["device", "household"], name="loan_device_household"),
            # The training deadlines to watch (reminders, the desk's queue).
            models.Index(
                fields=["organisation", "training_due_on"],
                name="loan_open_training_due",
                condition=Q(state="open", training_due_on__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["device"], condition=Q(state="open"), name="loan_one_open_per_device"
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("started_on")), name="loan_due_after_start"
            ),
            models.CheckConstraint(condition=Q(fee_amount__gte=0), name="loan_fee_not_negative"),
        ]

    def __str__(self):
        return _("Prêt n° %(n)s") % {"n": self.pk}

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.state == LoanState.OPEN and self.due_on < (today or timezone.localdate())

    @property
    def fee_status(self) -> str:
        if not self.fee_amount:
            return str(_("sans frais"))
        if self.fee_refunded_on:
            return str(
                _("remboursés le %(d)s (%(why)s)")
                % {
                    "d": self.fee_refunded_on.strftime("%d/%m/%Y"),
                    "why": self.get_fee_refund_reason_display(),
                }
            )
        if self.fee_paid_on:
            return str(_("réglés le %(d)s") % {"d": self.fee_paid_on.strftime("%d/%m/%Y")})
        return str(_("à régler"))

    @property
    def deposit_status(self) -> str:
        if not self.deposit_amount:
            return str(_("sans caution"))
        if self.deposit_refunded_on:
            return str(_("rendue le %(d)s") % {"d": self.deposit_refunded_on.strftime("%d/%m/%Y")})
        if self.deposit_paid_on:
            return str(_("versée le %(d)s") % {"d": self.deposit_paid_on.strftime("%d/%m/%Y")})
        return str(_("à verser"))

    @transition(
        field=state,
        source=LoanState.OPEN,
        target=LoanState.RETURNED,
        custom={"label": _("Enregistrer le retour")},
    )
    def take_back(self, day: dt.date):
        self.closed_on = day

    @transition(
        field=state,
        source=LoanState.OPEN,
        target=LoanState.TRANSFERRED,
        custom={"label": _("Céder l'appareil au foyer")},
    )
    def transfer(self, day: dt.date):
        self.closed_on = day

    @transition(
        field=state,
        source=LoanState.OPEN,
        target=LoanState.LOST,
        custom={"label": _("Déclarer perdu ou volé")},
    )
    def declare_lost(self, day: dt.date):
        self.closed_on = day


class LoanEvent(Event):
    """Append-only history of a loan (core.events): start, renewals, deposit, signature,
    return, end. Written by prets/events.py only."""

    class Action(models.TextChoices):
        START = "start", _("prêt commencé")
        RENEW = "renew", _("prêt renouvelé")
        DEPOSIT_PAID = "deposit_paid", _("caution versée")
        DEPOSIT_REFUNDED = "deposit_refunded", _("caution rendue")
        FEE_PAID = "fee_paid", _("frais de prêt réglés")
        FEE_REFUNDED = "fee_refunded", _("frais de prêt remboursés")
        AGREEMENT_SIGNED = "agreement_signed", _("convention signée")
        TAKE_BACK = "take_back", _("appareil rendu")
        TRANSFER = "transfer", _("appareil cédé au foyer")
        DECLARE_LOST = "declare_lost", _("appareil perdu ou volé")

    STATES = LoanState

    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="events", verbose_name=_("prêt")
    )

    class Meta(Event.Meta):
        verbose_name = _("événement de prêt")
        verbose_name_plural = _("historique des prêts")
        indexes = [models.Index(fields=["loan", "-id"], name="loan_event_loan")]

    def __str__(self):
        return f"{self.loan_id} {self.action} {self.at:%d/%m/%Y %H:%M}"


class FollowUpKind(models.TextChoices):
    CALL = "call", _("appel")
    VISIT = "visit", _("visite")
    WORKSHOP = "workshop", _("atelier")
    NOTE = "note", _("note")


class LoanFollowUp(models.Model):
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("prêt")
    )
    kind = models.CharField(_("type"), max_length=10, choices=FollowUpKind.choices)
    on = models.DateField(_("le"), default=timezone.localdate)
    note = models.CharField(
        _("compte rendu"),
        max_length=500,
        blank=True,
        help_text=_("L'usage de l'appareil seulement : pas d'information de santé ou privée."),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )

    class Meta:
        verbose_name = _("suivi")
        verbose_name_plural = _("suivis")
        ordering = ["-on", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.on:%d/%m/%Y}"


class ReturnInspection(models.Model):
    """What came back with the device, checked at the desk."""

    loan = models.OneToOneField(
        Loan, on_delete=models.PROTECT, related_name="inspection", verbose_name=_("prêt")
    )
    returned_on = models.DateField(_("rendu le"))
    complete = models.BooleanField(_("appareil complet"))
    accessories_returned = models.BooleanField(_("accessoires rendus (chargeur, housse…)"))
    damage = models.CharField(_("dégâts constatés"), max_length=300, blank=True)
    # The desk's note about the return. It stays here, with the loan (seen by those who may
    # see the loan), and never goes into the device's history, which technicians read: the
    # history says « note de retour » and links here (``prets.apps``' history link).
    note = models.CharField(_("note de retour"), max_length=300, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )

    class Meta:
        verbose_name = _("contrôle au retour")
        verbose_name_plural = _("contrôles au retour")

    def __str__(self):
        return f"{self.loan} – {self.returned_on:%d/%m/%Y}"


class ReminderKind(models.TextChoices):
    BEFORE_DUE = "before_due", _("échéance proche")
    OVERDUE = "overdue", _("échéance dépassée")
    # The training to follow within N days of the handover (due_on: its deadline).
    TRAINING_SOON = "training_soon", _("formation à suivre bientôt")
    TRAINING_MISSED = "training_missed", _("formation non suivie dans le délai")


# Days before the training deadline when the prescriber and the facilitators are reminded.
TRAINING_REMINDER_DAYS = 7


class SentReminder(models.Model):
    """A reminder sent for one due date of one loan: the unique constraint makes it once."""

    loan = models.ForeignKey(
        Loan, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("prêt")
    )
    kind = models.CharField(_("rappel"), max_length=20, choices=ReminderKind.choices)
    due_on = models.DateField(_("pour l'échéance du"))
    recipients = models.PositiveSmallIntegerField(_("destinataires"), default=0)
    sent_at = models.DateTimeField(_("envoyé le"), default=timezone.now)

    class Meta:
        verbose_name = _("rappel envoyé")
        verbose_name_plural = _("rappels envoyés")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "kind", "due_on"], name="reminder_once_per_due_date"
            )
        ]

    def __str__(self):
        return f"{self.loan_id} {self.kind} {self.due_on:%d/%m/%Y}"


# --- sales ----------------------------------------------------------------------------------


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("espèces")
    CHEQUE = "cheque", _("chèque")
    CARD = "card", _("carte bancaire")
    TRANSFER = "transfer", _("virement")
    VOUCHER = "voucher", _("chèque solidaire ou aide")
    NONE = "none", _("aucun (don)")


class SaleCounter(models.Model):
    """The last receipt number of an organisation; locked while a sale takes the next one,
    so numbers are sequential and a rolled-back sale leaves no gap."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    last_number = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("compteur de ventes")
        verbose_name_plural = _("compteurs de ventes")

    def __str__(self):
        return f"{self.organisation_id}: {self.last_number}"


GUARANTEE_MONTHS = 24
PRESUMPTION_MONTHS = 12


class Sale(models.Model):
    """A sale at a solidarity price (or a gift at 0 €): an accounting record, kept ten years.
    The buyer's name is copied here for the receipt; the household itself is anonymised on
    schedule like any other."""

    request = models.OneToOneField(
        DeviceRequest, on_delete=models.PROTECT, related_name="sale", verbose_name=_("demande")
    )
    device = models.OneToOneField(
        Device, on_delete=models.PROTECT, related_name="sale", verbose_name=_("appareil")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="purchases", verbose_name=_("foyer")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="sales", verbose_name=_("vendeur")
    )
    number = models.PositiveIntegerField(_("numéro"))
    buyer_name = models.CharField(_("acheteur"), max_length=150)
    price = models.DecimalField(
        _("prix (€ TTC)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    cap = models.DecimalField(
        _("prix plafond appliqué"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    payment_method = models.CharField(
        _("moyen de paiement"), max_length=10, choices=PaymentMethod.choices
    )
    sold_on = models.DateField(_("vendu le"))
    guarantee_until = models.DateField(_("garantie légale de conformité jusqu'au"))
    presumption_until = models.DateField(_("présomption d'antériorité du défaut jusqu'au"))
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    created_at = models.DateTimeField(_("enregistrée le"), default=timezone.now)

    class Meta:
        verbose_name = _("vente solidaire")
        verbose_name_plural = _("ventes solidaires")
        ordering = ["-id"]
        indexes = [
            # As Loan's loan_device_household: the households equipped, from the index alone.
            models.Index(fields=["device", "household"], name="sale_device_household"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="sale_number_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="sale_price_not_negative"),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(price__lte=models.F("cap")),
                name="sale_price_within_cap",
            ),
        ]

    def __str__(self):
        return self.receipt_number

    @property
    def receipt_number(self) -> str:
        return f"{self.sold_on:%Y}-{self.organisation_id:03d}-{self.number:06d}"

    @property
    def is_gift(self) -> bool:
        return self.price == 0


# --- digital-inclusion vouchers (issue 15) ----------------------------------------------------


class VoucherScheme(models.TextChoices):
    PASS_NUMERIQUE = "pass_numerique", _("Pass numérique")
    APTIC = "aptic", _("chèque APTIC")
    DEPARTEMENT = "departement", _("chèque numérique d'un département")
    OTHER = "other", _("autre chèque ou aide")


class Voucher(models.Model):
    """A digital-inclusion voucher that paid a sale or a loan fee, wholly or in part. Recorded
    once: the same number of the same issuer cannot be used twice, on a sale or a loan alike
    (unique constraint); the reconciliation export lists, per issuer and period, what to
    claim."""

    scheme = models.CharField(_("dispositif"), max_length=20, choices=VoucherScheme.choices)
    issuer = models.CharField(
        _("émetteur"),
        max_length=150,
        help_text=_("Par exemple « Conseil départemental d'Eure-et-Loir » ou « APTIC »."),
    )
    # The issuer in one form (lower case, single spaces): the uniqueness key.
    issuer_key = models.CharField(max_length=150, editable=False)
    number = models.CharField(_("numéro du chèque"), max_length=60)
    value = models.DecimalField(
        _("valeur (€)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    sale = models.ForeignKey(
        Sale,
        on_delete=models.PROTECT,
        related_name="vouchers",
        verbose_name=_("vente"),
        null=True,
        blank=True,
    )
    loan = models.ForeignKey(
        Loan,
        on_delete=models.PROTECT,
        related_name="vouchers",
        verbose_name=_("prêt (frais)"),
        null=True,
        blank=True,
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    received_on = models.DateField(_("reçu le"), default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    recorded_at = models.DateTimeField(_("enregistré le"), default=timezone.now)

    class Meta:
        verbose_name = _("chèque numérique")
        verbose_name_plural = _("chèques numériques")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["organisation", "received_on"], name="voucher_org_received")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "issuer_key", "number"], name="voucher_used_once"
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="voucher_value_positive"),
            # A voucher pays one thing: a sale or a loan fee.
            models.CheckConstraint(
                condition=Q(sale__isnull=False, loan__isnull=True)
                | Q(sale__isnull=True, loan__isnull=False),
                name="voucher_pays_a_sale_or_a_loan",
            ),
        ]

    def __str__(self):
        return f"{self.get_scheme_display()} {self.number}"

    @property
    def paid_for(self) -> str:
        """What the voucher paid, for the reconciliation list (no household named)."""
        if self.sale_id:
            return str(_("vente, reçu n° %(n)s") % {"n": self.sale.receipt_number})
        if self.loan.fee_refunded_on:
            return str(
                _("frais du prêt n° %(n)s, remboursés le %(d)s : chèque à ne pas présenter")
                % {"n": self.loan_id, "d": self.loan.fee_refunded_on.strftime("%d/%m/%Y")}
            )
        return str(_("frais du prêt n° %(n)s") % {"n": self.loan_id})
