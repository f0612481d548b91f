"""Device requests: created and submitted by a prescriber, approved or rejected by the
refurbisher's desk, cancelled, expired when left waiting; and the request's allocation as
the request sees it (read, and ended when the request ends)."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from acteurs.models import Household, Organisation
from parc import services as parc_services
from parc.models import Device, State

from .. import events
from ..models import (
    Allocation,
    AllocationStatus,
    DeviceRequest,
    EligibilityCheck,
    Need,
    RequestEvent,
    RequestState,
)
from ..permissions import can_follow_request, can_work_request
from ..transitions import REQUEST
from .base import (
    InvalidInput,
    NotFound,
    NotPermitted,
    Refused,
    _today,
    _touch_household,
    require_not_anonymised,
)
from .eligibility import _household_for_prescriber


def _lock_request(request_id: int) -> DeviceRequest:
    request = DeviceRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound(_("Cette demande n'existe pas."))
    return request


def _check_state(request: DeviceRequest, expected_state: str | None) -> None:
    REQUEST.check_expected_state(request, expected_state)


def _run_request_transition(request, name, actor, note="", **kwargs) -> RequestEvent:
    """The transition on a request the caller locked (its event, the prescriber told)."""
    return REQUEST.run_locked(request, name, actor, note=events.short(note), **kwargs)


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
    needs=(),
    needs_consent: bool = False,
) -> DeviceRequest:
    """Write a request (a draft), and send it at once when ``submit``. Usage needs
    (``Need`` values) are recorded only with the household's consent to record them."""
    needs_mask = 0
    for need in needs:
        needs_mask |= Need(int(need))
    if needs_mask and not needs_consent:
        raise InvalidInput(
            _(
                "Les besoins d'usage ne sont enregistrés qu'avec l'accord du foyer : "
                "cochez la case d'accord ou décochez les besoins."
            ),
            code="needs_without_consent",
            field="needs_consent",
        )
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
            needs=needs_mask,
            needs_consent_at=timezone.now() if needs_mask else None,
        )
        events.request_created(request, actor)
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
        require_not_anonymised(request.household_id)
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
        require_not_anonymised(request.household_id)
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
        require_not_anonymised(request.household_id)
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


# --- the request's allocation (read and ended here and by allocation.py) ---------------------


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
        # The typed note stays on the allocation (prets'): the device's history, which
        # technicians read, gets only the request's number.
        parc_services.device_release(
            allocation.device_id,
            actor,
            request_id=allocation.request_id,
            note=_("Demande n° %(n)s") % {"n": allocation.request_id},
        )
