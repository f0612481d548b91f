"""Allocation: a ready device set aside for an approved request, or released."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from parc import services as parc_services
from parc.models import Device, State

from .. import events
from ..matching import needs_met
from ..models import Allocation, RequestState
from .base import Changed, Refused, require_not_anonymised
from .requests import _active_allocation, _end_allocation, _lock_request, _require_desk


def device_allocate(
    request_id: int, device_id: int, actor, *, expected_device_state: str = State.READY
) -> Allocation:
    """Set a ready device aside for an approved request (the device goes to "allocated")."""
    with transaction.atomic():
        request = _lock_request(request_id)
        _require_desk(request, actor)
        require_not_anonymised(request.household_id)
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
        device = (
            Device.objects.filter(pk=device_id)
            .select_related("usage_profile")
            .only("owner_id", "public_code", "adaptations", "usage_profile__level")
            .first()
        )
        if device is None or device.owner_id != request.refurbisher_id:
            raise Refused(_("Cet appareil n'appartient pas à l'association destinataire."))
        try:
            with transaction.atomic():
                level = device.usage_profile.level if device.usage_profile else None
                allocation = Allocation.objects.create(
                    request=request,
                    device_id=device_id,
                    allocated_by=actor,
                    needs_met=needs_met(request.needs, device, level),
                )
        except IntegrityError:
            raise Changed(
                _("L'appareil %(code)s vient d'être réservé pour une autre demande.")
                % {"code": device.public_code}
            ) from None
        parc_services.device_allocate(
            device_id,
            actor,
            request_id=request.pk,
            note=_("Demande n° %(n)s") % {"n": request.pk},
            expected_state=expected_device_state,
        )
        events.device_set_aside(request, actor, device_code=device.public_code)
        return allocation


def allocation_release(request_id: int, actor, *, note: str = "") -> None:
    with transaction.atomic():
        request = _lock_request(request_id)
        _require_desk(request, actor)
        allocation = _active_allocation(request)
        if allocation is None:
            raise Refused(_("Aucun appareil n'est réservé pour cette demande."))
        _end_allocation(allocation, actor, note or _("attribution libérée"))
        events.device_released(request, actor, device_code=allocation.device.public_code)
