"""The handover policy of a refurbisher (training before or after, its deadline) and whether
a request may be handed over today."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ateliers.selectors import household_attended

from ..models import Allocation, DeviceRequest, HandoverPolicy, RequestState, TrainingRule
from .base import Refused, _today, require_not_anonymised
from .requests import _active_allocation, _require_desk, _require_valid_eligibility


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
    """What a loan and a sale both need (an anonymised household gets nothing more)."""
    _require_desk(request, actor)
    require_not_anonymised(request.household_id)
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
