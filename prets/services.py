"""Use cases of the loan scheme. One function per use case; views, admin and commands all
call them, so they all behave alike:

open a transaction, lock the request or loan row, check who acts, check the conditions, run
the transition, save it with its event row, write the rows of the use case, run the device
transition (parc.services.run_transition, which locks the device and writes its event) —
all committed together — then send the e-mails after commit.

Refusals raise ``LoanActionError`` (or parc's ``DeviceActionError``), whose ``message`` is
French and safe to show.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from acteurs.consent import consent_text
from acteurs.models import Household, Organisation
from ateliers.models import Enrolment
from ateliers.selectors import household_attended
from parc.models import Device, State
from parc.services import DeviceActionError, run_transition

from . import notifications, pricing
from .models import (
    GUARANTEE_MONTHS,
    OPEN_REQUEST_STATES,
    PRESUMPTION_MONTHS,
    Allocation,
    AllocationStatus,
    AnonymisationReason,
    DeviceRequest,
    EligibilityCheck,
    EligibilityCriterion,
    HandoverPolicy,
    HouseholdAnonymisation,
    Loan,
    LoanEvent,
    LoanFollowUp,
    LoanState,
    Mode,
    PaymentMethod,
    PriceSuggestion,
    ReminderKind,
    RequestEvent,
    RequestState,
    ReturnInspection,
    Sale,
    SaleCounter,
    SentReminder,
    TrainingRule,
)
from .permissions import can_follow_request, can_work_request, is_desk_for, is_prescriber_for
from .provenance import add_months, from_public_donor


class LoanActionError(Exception):
    """An action was refused; ``message`` is French and safe to show to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotPermitted(LoanActionError):
    pass


class Refused(LoanActionError):
    pass


class Changed(LoanActionError):
    """Someone else changed the row between the moment the user saw it and now."""


ACTION_ERRORS = (LoanActionError, DeviceActionError)


def _today() -> dt.date:
    return timezone.localdate()


def _touch_household(household_id: int) -> None:
    """A contact with the household: the retention delay starts again."""
    Household.objects.filter(pk=household_id).update(last_contact_at=timezone.now())


# --- eligibility ----------------------------------------------------------------------------


def eligibility_check_record(
    household_id: int,
    actor,
    *,
    criterion: EligibilityCriterion,
    proof_kind: str,
    checked_on: dt.date | None = None,
) -> EligibilityCheck:
    checked_on = checked_on or _today()
    with transaction.atomic():
        household = _household_for_prescriber(household_id, actor)
        if not criterion.is_active:
            raise Refused(_("Ce critère d'éligibilité n'est plus proposé."))
        proofs = criterion.proof_list
        if proofs and proof_kind not in proofs:
            raise Refused(_("Choisissez un justificatif accepté pour ce critère."))
        if checked_on > _today():
            raise Refused(_("La date de vérification ne peut pas être dans le futur."))
        valid_until = add_months(checked_on, criterion.validity_months)
        if valid_until < _today():
            raise Refused(
                _("Cette vérification a expiré le %(d)s : vérifiez un justificatif récent.")
                % {"d": valid_until.strftime("%d/%m/%Y")}
            )
        check = EligibilityCheck.objects.create(
            household=household,
            criterion=criterion,
            proof_kind=proof_kind,
            checked_by=actor,
            checked_on=checked_on,
            valid_until=valid_until,
        )
        _touch_household(household.pk)
        return check


def _household_for_prescriber(household_id: int, actor) -> Household:
    household = Household.objects.filter(pk=household_id).first()
    if household is None or not is_prescriber_for(actor, household.organisation_id):
        raise NotPermitted(_("Ce foyer n'est pas suivi par votre organisation."))
    if hasattr(household, "anonymisation"):
        raise Refused(_("Les données de ce foyer ont été effacées."))
    return household


# --- requests -------------------------------------------------------------------------------


def _lock_request(request_id: int) -> DeviceRequest:
    request = DeviceRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise Refused(_("Cette demande n'existe pas."))
    return request


def _check_state(request: DeviceRequest, expected_state: str | None) -> None:
    if expected_state and request.state != expected_state:
        raise Changed(
            _(
                "La demande n° %(n)s a changé entre-temps : elle est maintenant « %(state)s ». "
                "Rechargez la page avant d'agir."
            )
            % {"n": request.pk, "state": request.get_state_display()}
        )


def _request_event(request, action, source, actor, note="") -> RequestEvent:
    event = RequestEvent.objects.create(
        request=request,
        action=action,
        source_state=source,
        target_state=request.state,
        actor=actor,
        note=note[:300],
    )
    transaction.on_commit(lambda: notifications.notify_request_change(event.pk))
    return event


def _run_request_transition(request, name, actor, note="", **kwargs) -> RequestEvent:
    source = request.state
    method = getattr(request, name)
    try:
        method(**kwargs)
        request.state_changed_at = timezone.now()
        request.save()
    except TransitionNotAllowed:
        raise Refused(
            _("Action impossible : la demande n° %(n)s est « %(state)s ».")
            % {"n": request.pk, "state": request.get_state_display()}
        ) from None
    except ConcurrentTransition:
        raise Changed(_("La demande a changé entre-temps. Rechargez la page.")) from None
    return _request_event(request, name, source, actor, note)


def _require_prescriber(request, actor) -> None:
    if not can_follow_request(actor, request):
        raise NotPermitted(_("Seuls les prescripteurs du foyer peuvent faire cette action."))


def _require_desk(request, actor) -> None:
    if not can_work_request(actor, request):
        raise NotPermitted(
            _("Seule l'équipe de l'association destinataire peut faire cette action.")
        )


def _require_valid_eligibility(request) -> None:
    check = request.eligibility
    if check is None:
        raise Refused(_("Indiquez la vérification d'éligibilité du foyer."))
    if not check.is_valid_on(_today()):
        raise Refused(
            _(
                "La vérification d'éligibilité (%(criterion)s) a expiré le %(d)s : "
                "enregistrez une vérification récente."
            )
            % {"criterion": check.criterion.label, "d": check.valid_until.strftime("%d/%m/%Y")}
        )


def request_create(
    actor,
    *,
    household: Household,
    refurbisher: Organisation,
    device_kind: str,
    purpose: str,
    mode: str,
    urgency: int = 0,
    training=None,
    eligibility: EligibilityCheck | None = None,
    details: str = "",
    consent_informed: bool = False,
    submit: bool = False,
) -> DeviceRequest:
    """Write a request (a draft), and send it at once when ``submit``."""
    with transaction.atomic():
        household = _household_for_prescriber(household.pk, actor)
        if not refurbisher.is_refurbisher:
            raise Refused(_("Cette organisation ne prête ni ne vend d'appareils."))
        if eligibility is not None and eligibility.household_id != household.pk:
            raise Refused(_("Cette vérification d'éligibilité concerne un autre foyer."))
        request = DeviceRequest.objects.create(
            household=household,
            prescriber_org_id=household.organisation_id,
            refurbisher=refurbisher,
            created_by=actor,
            device_kind=device_kind,
            purpose=purpose,
            mode=mode,
            urgency=urgency,
            training=training,
            eligibility=eligibility,
            details=details,
            consent_informed=consent_informed,
            consent_at=timezone.now() if consent_informed else None,
        )
        RequestEvent.objects.create(
            request=request, action="create", target_state=request.state, actor=actor
        )
        _touch_household(household.pk)
        if submit:
            request_submit(request.pk, actor)
            request.refresh_from_db()
        return request


def request_submit(request_id: int, actor, *, expected_state: str | None = None) -> RequestEvent:
    with transaction.atomic():
        request = _lock_request(request_id)
        _require_prescriber(request, actor)
        _check_state(request, expected_state)
        if request.state == RequestState.DRAFT and not request.consent_informed:
            raise Refused(
                _(
                    "La demande ne peut pas être envoyée : cochez que la personne a été "
                    "informée du traitement de ses données."
                )
            )
        _require_valid_eligibility(request)
        return _run_request_transition(request, "submit", actor)


def request_consent(request_id: int, actor) -> None:
    """Tick the consent box of a draft (the prescriber informed the household)."""
    with transaction.atomic():
        request = _lock_request(request_id)
        _require_prescriber(request, actor)
        if request.state != RequestState.DRAFT:
            raise Refused(_("Seul un brouillon peut être modifié."))
        DeviceRequest.objects.filter(pk=request.pk).update(
            consent_informed=True, consent_at=timezone.now()
        )


def request_approve(
    request_id: int, actor, *, note: str = "", expected_state: str | None = None
) -> RequestEvent:
    with transaction.atomic():
        request = _lock_request(request_id)
        _require_desk(request, actor)
        _check_state(request, expected_state)
        _require_valid_eligibility(request)
        return _run_request_transition(request, "approve", actor, note)


def request_reject(
    request_id: int, actor, *, reason: str, expected_state: str | None = None
) -> RequestEvent:
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Indiquez le motif du refus : le prescripteur le recevra."))
    with transaction.atomic():
        request = _lock_request(request_id)
        _require_desk(request, actor)
        _check_state(request, expected_state)
        request.rejection_reason = reason[:300]
        return _run_request_transition(request, "reject", actor, reason)


def request_cancel(
    request_id: int, actor, *, note: str = "", expected_state: str | None = None
) -> RequestEvent:
    """Either side may cancel an open request; a device set aside for it goes back to stock."""
    with transaction.atomic():
        request = _lock_request(request_id)
        if not (can_follow_request(actor, request) or can_work_request(actor, request)):
            raise NotPermitted(_("Vous ne pouvez pas annuler cette demande."))
        _check_state(request, expected_state)
        allocation = _active_allocation(request)
        if allocation is not None and not can_work_request(actor, request):
            # Releasing the device is the association's move (a pool transition).
            raise Refused(
                _(
                    "Un appareil est déjà réservé pour cette demande : demandez à "
                    "l'association de l'annuler."
                )
            )
        event = _run_request_transition(request, "cancel", actor, note)
        if allocation is not None:
            _end_allocation(allocation, actor, note or _("demande annulée"))
        return event


def expire_stale_requests(*, now=None, days: int | None = None) -> int:
    """Expire requests left waiting (sent, or accepted without a device set aside) longer
    than the configured delay. Run daily (Celery beat or cron: ``expire_requests``)."""
    now = now or timezone.now()
    days = settings.PRETS_REQUEST_EXPIRY_DAYS if days is None else days
    cutoff = now - dt.timedelta(days=days)
    active = Allocation.objects.filter(request=OuterRef("pk"), status=AllocationStatus.ACTIVE)
    candidates = (
        DeviceRequest.objects.filter(
            state__in=[RequestState.SUBMITTED, RequestState.APPROVED],
            state_changed_at__lt=cutoff,
        )
        .exclude(Exists(active))
        .values_list("pk", flat=True)
    )
    expired = 0
    for pk in list(candidates):
        with transaction.atomic():
            request = _lock_request(pk)
            if request.state not in (RequestState.SUBMITTED, RequestState.APPROVED):
                continue
            if request.state_changed_at >= cutoff or _active_allocation(request) is not None:
                continue
            _run_request_transition(
                request,
                "expire",
                None,
                _("sans suite depuis %(days)s jours") % {"days": days},
            )
            expired += 1
    return expired


# --- allocation -----------------------------------------------------------------------------


def _active_allocation(request) -> Allocation | None:
    return (
        Allocation.objects.select_related("device")
        .filter(request=request, status=AllocationStatus.ACTIVE)
        .first()
    )


def _end_allocation(allocation: Allocation, actor, note: str) -> None:
    """Release a device set aside; a device lost meanwhile just closes the allocation."""
    device_state = Device.objects.filter(pk=allocation.device_id).values_list("state", flat=True)[0]
    allocation.status = (
        AllocationStatus.LOST if device_state == State.LOST else AllocationStatus.RELEASED
    )
    allocation.ended_at = timezone.now()
    allocation.ended_by = actor
    allocation.note = note[:300]
    allocation.save()
    if device_state == State.ALLOCATED:
        run_transition(
            allocation.device_id,
            "release",
            actor,
            note=note,
            data={"request": allocation.request_id},
        )


def device_allocate(
    request_id: int, device_id: int, actor, *, expected_device_state: str = State.READY
) -> Allocation:
    """Set a ready device aside for an approved request (the device goes to "allocated")."""
    with transaction.atomic():
        request = _lock_request(request_id)
        _require_desk(request, actor)
        if request.state != RequestState.APPROVED:
            raise Refused(
                _("Seule une demande acceptée reçoit un appareil : celle-ci est « %(s)s ».")
                % {"s": request.get_state_display()}
            )
        current = _active_allocation(request)
        if current is not None:
            raise Refused(
                _("L'appareil %(code)s est déjà réservé pour cette demande.")
                % {"code": current.device.public_code}
            )
        device = Device.objects.filter(pk=device_id).only("owner_id", "public_code").first()
        if device is None or device.owner_id != request.refurbisher_id:
            raise Refused(_("Cet appareil n'appartient pas à l'association destinataire."))
        try:
            with transaction.atomic():
                allocation = Allocation.objects.create(
                    request=request, device_id=device_id, allocated_by=actor
                )
        except IntegrityError:
            raise Changed(
                _("L'appareil %(code)s vient d'être réservé pour une autre demande.")
                % {"code": device.public_code}
            ) from None
        run_transition(
            device_id,
            "allocate",
            actor,
            expected_state=expected_device_state,
            note=_("Demande n° %(n)s") % {"n": request.pk},
            data={"request": request.pk},
        )
        _request_event(request, "allocate", request.state, actor, device.public_code)
        return allocation


def allocation_release(request_id: int, actor, *, note: str = "") -> None:
    with transaction.atomic():
        request = _lock_request(request_id)
        _require_desk(request, actor)
        allocation = _active_allocation(request)
        if allocation is None:
            raise Refused(_("Aucun appareil n'est réservé pour cette demande."))
        _end_allocation(allocation, actor, note or _("attribution libérée"))
        _request_event(request, "release", request.state, actor, allocation.device.public_code)


# --- handover policy ------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoverCheck:
    allowed: bool
    message: str
    training_code: str = ""
    training_due_on: dt.date | None = None


def policy_for(organisation_id: int) -> HandoverPolicy:
    policy = (
        HandoverPolicy.objects.select_related("training_type")
        .filter(organisation_id=organisation_id)
        .first()
    )
    return policy or HandoverPolicy(organisation_id=organisation_id)


def handover_check(request: DeviceRequest, day: dt.date | None = None) -> HandoverCheck:
    """May the device be handed over now, as far as training goes? Asks the workshops."""
    day = day or _today()
    policy = policy_for(request.refurbisher_id)
    if policy.training_rule == TrainingRule.NOT_REQUIRED:
        return HandoverCheck(True, _("Pas de formation exigée avant la remise."))
    workshop = policy.training_type or request.training
    code = workshop.code if workshop else "initiation"
    name = workshop.name if workshop else _("Initiation")
    since = day - dt.timedelta(days=policy.training_lookback_days)
    attended = household_attended(request.household_id, code, since)
    if policy.training_rule == TrainingRule.BEFORE:
        if attended:
            return HandoverCheck(True, _("Formation « %(t)s » suivie.") % {"t": name}, code)
        return HandoverCheck(
            False,
            _(
                "Remise impossible : le foyer doit d'abord suivre la formation « %(t)s » "
                "(aucune présence enregistrée)."
            )
            % {"t": name},
            code,
        )
    due = day + dt.timedelta(days=policy.training_days)
    if attended:
        return HandoverCheck(True, _("Formation « %(t)s » déjà suivie.") % {"t": name}, code)
    return HandoverCheck(
        True,
        _("Le foyer devra suivre la formation « %(t)s » avant le %(d)s.")
        % {"t": name, "d": due.strftime("%d/%m/%Y")},
        code,
        due,
    )


def _handover_ready(request, actor, mode: str) -> Allocation:
    _require_desk(request, actor)
    if request.state != RequestState.APPROVED:
        raise Refused(
            _("La demande doit être acceptée : elle est « %(s)s ».")
            % {"s": request.get_state_display()}
        )
    if request.mode != mode:
        raise Refused(
            _("Cette demande est une demande de %(mode)s.") % {"mode": request.get_mode_display()}
        )
    allocation = _active_allocation(request)
    if allocation is None:
        raise Refused(_("Attribuez d'abord un appareil à la demande."))
    _require_valid_eligibility(request)
    return allocation


# --- loans ----------------------------------------------------------------------------------


def _lock_loan(loan_id: int) -> Loan:
    loan = Loan.objects.select_for_update().filter(pk=loan_id).first()
    if loan is None:
        raise Refused(_("Ce prêt n'existe pas."))
    return loan


def _loan_event(loan, action, actor, note="", data=None) -> LoanEvent:
    return LoanEvent.objects.create(
        loan=loan, action=action, actor=actor, note=note[:300], data=data or {}
    )


def _require_loan_desk(loan, actor) -> None:
    if not is_desk_for(actor, loan.organisation_id):
        raise NotPermitted(_("Seule l'équipe de l'association prêteuse peut faire cette action."))


def _require_open(loan) -> None:
    if loan.state != LoanState.OPEN:
        raise Refused(
            _("Le prêt n° %(n)s est terminé (%(s)s).")
            % {"n": loan.pk, "s": loan.get_state_display()}
        )


def loan_start(
    request_id: int,
    actor,
    *,
    started_on: dt.date | None = None,
    due_on: dt.date | None = None,
    deposit_amount: Decimal | None = None,
    deposit_paid: bool = False,
    agreement_signed: bool = False,
) -> Loan:
    """Hand the allocated device over on loan."""
    started_on = started_on or _today()
    with transaction.atomic():
        request = _lock_request(request_id)
        allocation = _handover_ready(request, actor, Mode.LOAN)
        if started_on > _today():
            raise Refused(_("Le prêt ne peut pas commencer dans le futur."))
        policy = policy_for(request.refurbisher_id)
        due_on = due_on or started_on + dt.timedelta(days=policy.default_loan_days)
        if due_on < started_on:
            raise Refused(_("L'échéance ne peut pas précéder le début du prêt."))
        check = handover_check(request, started_on)
        if not check.allowed:
            raise Refused(check.message)
        deposit = policy.default_deposit if deposit_amount is None else deposit_amount
        if deposit < 0:
            raise Refused(_("La caution ne peut pas être négative."))
        loan = Loan.objects.create(
            request=request,
            device_id=allocation.device_id,
            household_id=request.household_id,
            organisation_id=request.refurbisher_id,
            started_on=started_on,
            due_on=due_on,
            remind_from=due_on - dt.timedelta(days=policy.reminder_days_before),
            deposit_amount=deposit,
            deposit_paid_on=started_on if deposit_paid and deposit else None,
            agreement_signed_on=started_on if agreement_signed else None,
            training_due_on=check.training_due_on,
            training_code=check.training_code if check.training_due_on else "",
            started_by=actor,
        )
        allocation.status = AllocationStatus.HANDED_OVER
        allocation.ended_at = timezone.now()
        allocation.ended_by = actor
        allocation.save()
        _run_request_transition(request, "fulfil", actor, _("prêt n° %(n)s") % {"n": loan.pk})
        _loan_event(
            loan,
            "start",
            actor,
            data={"due_on": due_on.isoformat(), "deposit": str(deposit)},
        )
        run_transition(
            allocation.device_id,
            "lend",
            actor,
            expected_state=State.ALLOCATED,
            note=_("Prêt n° %(n)s jusqu'au %(d)s")
            % {"n": loan.pk, "d": due_on.strftime("%d/%m/%Y")},
            data={"loan": loan.pk},
        )
        _touch_household(request.household_id)
        return loan


def loan_renew(loan_id: int, actor, *, due_on: dt.date, note: str = "") -> Loan:
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        _require_open(loan)
        if due_on <= loan.due_on:
            raise Refused(
                _("La nouvelle échéance doit suivre l'échéance actuelle (%(d)s).")
                % {"d": loan.due_on.strftime("%d/%m/%Y")}
            )
        previous = loan.due_on
        policy = policy_for(loan.organisation_id)
        loan.due_on = due_on
        loan.remind_from = due_on - dt.timedelta(days=policy.reminder_days_before)
        loan.renewals += 1
        loan.save()
        _loan_event(
            loan,
            "renew",
            actor,
            note,
            {"from": previous.isoformat(), "to": due_on.isoformat()},
        )
        _touch_household(loan.household_id)
        return loan


def loan_deposit(loan_id: int, actor, *, action: str, day: dt.date | None = None) -> Loan:
    """``action``: "paid" or "refunded"."""
    day = day or _today()
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        if not loan.deposit_amount:
            raise Refused(_("Ce prêt est sans caution."))
        if action == "paid":
            if loan.deposit_paid_on:
                raise Refused(_("La caution est déjà enregistrée comme versée."))
            _require_open(loan)
            loan.deposit_paid_on = day
        elif action == "refunded":
            if not loan.deposit_paid_on:
                raise Refused(_("La caution n'a pas été versée."))
            if loan.deposit_refunded_on:
                raise Refused(_("La caution a déjà été rendue."))
            loan.deposit_refunded_on = day
        else:
            raise Refused(_("Action inconnue."))
        loan.save()
        _loan_event(loan, f"deposit_{action}", actor, data={"on": day.isoformat()})
        return loan


def loan_agreement_signed(loan_id: int, actor, *, day: dt.date | None = None) -> Loan:
    day = day or _today()
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        if day > _today() or day < loan.started_on - dt.timedelta(days=31):
            raise Refused(_("Indiquez la date à laquelle la convention a été signée."))
        loan.agreement_signed_on = day
        loan.save()
        _loan_event(loan, "agreement_signed", actor, data={"on": day.isoformat()})
        return loan


def loan_follow_up(
    loan_id: int, actor, *, kind: str, on: dt.date | None = None, note: str = ""
) -> LoanFollowUp:
    """Either side follows the household during the loan."""
    on = on or _today()
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        request = loan.request
        if not (can_follow_request(actor, request) or is_desk_for(actor, loan.organisation_id)):
            raise NotPermitted(_("Vous ne suivez pas ce prêt."))
        if on > _today():
            raise Refused(_("Un suivi se note une fois fait : la date est dans le futur."))
        follow_up = LoanFollowUp.objects.create(loan=loan, kind=kind, on=on, note=note, by=actor)
        _touch_household(loan.household_id)
        return follow_up


def _close_loan(loan, name, actor, day, note, data=None) -> None:
    if day > _today():
        raise Refused(_("La date ne peut pas être dans le futur."))
    if day < loan.started_on:
        raise Refused(_("La date ne peut pas précéder le début du prêt."))
    try:
        getattr(loan, name)(day)
        loan.save()
    except (TransitionNotAllowed, ConcurrentTransition):
        raise Changed(_("Le prêt a changé entre-temps. Rechargez la page.")) from None
    _loan_event(loan, name, actor, note, data)


def loan_take_back(
    loan_id: int,
    actor,
    *,
    returned_on: dt.date | None = None,
    complete: bool,
    accessories_returned: bool,
    damage: str = "",
    note: str = "",
) -> ReturnInspection:
    """The device comes back: inspection, loan closed, device "returned" (to be erased)."""
    returned_on = returned_on or _today()
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        _require_open(loan)
        inspection = ReturnInspection.objects.create(
            loan=loan,
            returned_on=returned_on,
            complete=complete,
            accessories_returned=accessories_returned,
            damage=damage,
            inspected_by=actor,
        )
        data = {"complete": complete, "accessories": accessories_returned, "damage": damage}
        _close_loan(loan, "take_back", actor, returned_on, note, data)
        run_transition(
            loan.device_id,
            "take_back",
            actor,
            expected_state=State.ON_LOAN,
            note=note or damage,
            data={"loan": loan.pk, **data},
        )
        _touch_household(loan.household_id)
        return inspection


def loan_transfer(loan_id: int, actor, *, day: dt.date | None = None, note: str = "") -> Loan:
    """End of the loan: the household keeps the device."""
    day = day or _today()
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        _require_open(loan)
        _close_loan(loan, "transfer", actor, day, note)
        run_transition(
            loan.device_id,
            "transfer_to_borrower",
            actor,
            expected_state=State.ON_LOAN,
            note=note,
            data={"loan": loan.pk},
        )
        _touch_household(loan.household_id)
        return loan


def loan_declare_lost(loan_id: int, actor, *, day: dt.date | None = None, note: str) -> Loan:
    day = day or _today()
    if not (note or "").strip():
        raise Refused(_("Précisez les circonstances de la perte ou du vol."))
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        _require_open(loan)
        _close_loan(loan, "declare_lost", actor, day, note)
        run_transition(
            loan.device_id,
            "declare_lost",
            actor,
            expected_state=State.ON_LOAN,
            note=note,
            data={"loan": loan.pk},
        )
        return loan


# --- reminders ------------------------------------------------------------------------------


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
                .select_related("household", "organisation", "device", "request__created_by")
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


# --- sales ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceInfo:
    suggested: Decimal | None
    cap: Decimal | None  # the legal cap when it applies (public donor), else None
    public_donor: bool


def price_info(device: Device) -> PriceInfo:
    public = from_public_donor(device)
    cap = pricing.legal_cap(device.kind) if public else None
    suggested = (
        PriceSuggestion.objects.filter(
            organisation_id=device.owner_id, kind=device.kind, grade=device.grade
        )
        .values_list("price", flat=True)
        .first()
    )
    if suggested is None:
        suggested = pricing.DEFAULT_SUGGESTED.get((device.kind, device.grade))
    if suggested is not None and cap is not None:
        suggested = min(suggested, cap)
    return PriceInfo(suggested, cap, public)


def _next_sale_number(organisation_id: int) -> int:
    """Take the next receipt number: the counter row stays locked until the sale commits, so
    two sales cannot take the same number and a rolled-back sale gives its number back."""
    try:
        with transaction.atomic():
            SaleCounter.objects.get_or_create(organisation_id=organisation_id)
    except IntegrityError:
        pass  # created by a concurrent sale meanwhile
    counter = SaleCounter.objects.select_for_update().get(organisation_id=organisation_id)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def sale_create(
    request_id: int,
    actor,
    *,
    price: Decimal,
    payment_method: str,
    sold_on: dt.date | None = None,
) -> Sale:
    """Sell the allocated device (price 0: a gift), with the next receipt number."""
    sold_on = sold_on or _today()
    with transaction.atomic():
        request = _lock_request(request_id)
        allocation = _handover_ready(request, actor, Mode.PURCHASE)
        if sold_on > _today():
            raise Refused(_("La vente ne peut pas être datée dans le futur."))
        if price is None or price < 0:
            raise Refused(_("Indiquez un prix positif ou nul (0 € pour un don)."))
        device = Device.objects.get(pk=allocation.device_id)
        info = price_info(device)
        if info.cap is not None and price > info.cap:
            raise Refused(
                _(
                    "Prix refusé : %(price)s € dépasse le plafond légal de %(cap)s € pour un "
                    "appareil donné par un organisme public (%(source)s)."
                )
                % {
                    "price": formats.localize(price),
                    "cap": formats.localize(info.cap),
                    "source": pricing.CAP_SOURCE,
                }
            )
        if price == 0:
            payment_method = PaymentMethod.NONE
        elif payment_method == PaymentMethod.NONE:
            raise Refused(_("Indiquez le moyen de paiement."))
        check = handover_check(request, sold_on)
        if not check.allowed:
            raise Refused(check.message)
        number = _next_sale_number(request.refurbisher_id)
        sale = Sale.objects.create(
            request=request,
            device=device,
            household_id=request.household_id,
            organisation_id=request.refurbisher_id,
            number=number,
            buyer_name=request.household.name,
            price=price,
            cap=info.cap,
            payment_method=payment_method,
            sold_on=sold_on,
            guarantee_until=add_months(sold_on, GUARANTEE_MONTHS),
            presumption_until=add_months(sold_on, PRESUMPTION_MONTHS),
            sold_by=actor,
        )
        allocation.status = AllocationStatus.HANDED_OVER
        allocation.ended_at = timezone.now()
        allocation.ended_by = actor
        allocation.save()
        _run_request_transition(
            request, "fulfil", actor, _("vente n° %(n)s") % {"n": sale.receipt_number}
        )
        run_transition(
            device.pk,
            "sell",
            actor,
            expected_state=State.ALLOCATED,
            note=_("Reçu n° %(n)s") % {"n": sale.receipt_number},
            data={"sale": sale.pk, "price": str(price)},
        )
        _touch_household(request.household_id)
        return sale


# --- personal data --------------------------------------------------------------------------

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
