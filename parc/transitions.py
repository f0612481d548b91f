"""The device's state machine, run by the kernel's engine (core.transitions).

Every transition of a device — from the workshop pages, a scan batch, the admin, or the loan
scheme through the typed services of ``parc.services`` — runs through ``DEVICE``: the device
row locked with what the transition's conditions read, the state the user saw compared, the
pool role checked, the conditions explained in French, the row saved with its event.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from acteurs.permissions import POOL_ROLES, has_role
from core.errors import NotPermitted
from core.transitions import Machine

from .models import Device, ErasureRecord, State


def _describe(device) -> str:
    return _("l'appareil %(code)s") % {"code": device.public_code}


def check_pool_access(device, actor) -> None:
    """Members of the owning organisation's pool (technicians, staff, admins) only."""
    if not actor.is_superuser and not has_role(actor, device.owner_id, POOL_ROLES):
        raise NotPermitted(_("Vous n'avez pas accès à cet appareil."))


def explain_conditions(device, name: str) -> str:
    """Why a transition's conditions fail, in French, naming what is missing."""
    if device.storage_missing():
        return _(
            "Aucun support de stockage n'est enregistré pour %(code)s : ajoutez ses disques, "
            "ou indiquez qu'il a été reçu sans support de stockage."
        ) % {"code": device.public_code}
    lacking = device.media_lacking_erasure()
    if lacking:
        return _(
            "Effacement manquant : ces supports n'ont pas d'effacement réussi%(since)s : %(media)s."
        ) % {
            "since": _(" depuis le retour de l'appareil") if device.cycle > 1 else "",
            "media": " ; ".join(str(m) for m in lacking),
        }
    if name == "mark_ready" and not device.functional_test_passed():
        return _("Les tests fonctionnels n'ont pas tous été validés.")
    return _("Les conditions de cette action ne sont pas remplies.")


# What the conditions of the transitions read, fetched with the locked row, once: the
# conditions run twice (permission check, then the transition itself) and would otherwise
# query the media, their erasures and the tests again every time. Of the erasures, the
# conditions read only the result and the cycle: not their reports (a whole nwipe log each).
ERASURES_FOR_CONDITIONS = Prefetch(
    "storage_media__erasures",
    queryset=ErasureRecord.objects.only("medium_id", "result", "device_cycle"),
)
_CONDITION_RECORDS = {
    Device.all_data_erased: (ERASURES_FOR_CONDITIONS,),
    Device.functional_test_passed: ("refurbishments",),
}


def _records_read_by_conditions() -> dict[str, tuple]:
    reads: dict[str, list] = {}
    for t in Device._meta.get_field("state").get_all_transitions(Device):
        for condition in t.conditions or ():
            lookups = reads.setdefault(t.name, [])
            lookups += [r for r in _CONDITION_RECORDS.get(condition, ()) if r not in lookups]
    return {name: tuple(lookups) for name, lookups in reads.items()}


RECORDS_READ_BY = _records_read_by_conditions()

DEVICE = Machine(
    model=Device,
    describe=_describe,
    check_access=check_pool_access,
    explain=explain_conditions,
    prefetch=RECORDS_READ_BY,
)

# Transitions with their own use case in parc.services and a page on the device; the others
# (allocate, lend, sell, take_back…) are run by the loan scheme through the typed services
# (device_allocate, device_lend…), which its own rows go with.
WORKSHOP_TRANSITIONS = (
    "start_triage",
    "wipe",
    "start_refurbishment",
    "mark_ready",
    "dismantle",
    "recycle",
    "declare_lost",
)
# States in which erasures and storage media are recorded: the device is in the workshop.
ERASURE_STATES = frozenset(
    {State.REGISTERED, State.TRIAGE, State.WIPED, State.REFURBISHING, State.RETURNED}
)
