"""Use cases of the pool. One function per use case; every caller (views, admin, imports,
commands) goes through them so they all behave alike:

open a transaction, lock the device row, check the state the user saw, check permission,
run the transition, save the device with its event row.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, has_transition_perm

from acteurs.permissions import POOL_ROLES, has_role
from core.errors import ApplicationError, InvalidInput

from .bulk import DeviceRow, MediumRow, devices_register_bulk  # noqa: F401 (re-exported)
from .checklists import checklist_for
from .codes import generate_code
from .models import (
    TERMINAL_STATES,
    Device,
    DeviceEvent,
    ErasureRecord,
    RefurbishmentRecord,
    State,
    StockLocation,
    StorageMedium,
)
from .search import DEVICE_TEXT_FIELDS, add_search_words, device_document


class DeviceActionError(Exception):
    """An action was refused; ``message`` is French and safe to show to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransitionRefused(DeviceActionError):
    pass


class ActionNotPermitted(DeviceActionError):
    pass


class DeviceChanged(DeviceActionError):
    """Someone else changed the device between the moment the user saw it and now."""


@dataclass(frozen=True)
class TransitionInfo:
    name: str
    label: str
    form_kind: str | None
    sources: frozenset


def _transitions_by_name() -> dict[str, TransitionInfo]:
    infos: dict[str, dict] = {}
    for t in Device._meta.get_field("state").get_all_transitions(Device):
        info = infos.setdefault(
            t.name,
            {
                "label": str(t.custom.get("label", t.name)),
                "form_kind": t.custom.get("form_kind"),
                "sources": set(),
            },
        )
        info["sources"].add(t.source)
    return {
        name: TransitionInfo(name, i["label"], i["form_kind"], frozenset(i["sources"]))
        for name, i in infos.items()
    }


TRANSITIONS = _transitions_by_name()
# Transitions that have their own use-case service in this app; the others (allocate, lend,
# sell, take_back…) are run by the loan services, which create their loan or sale rows.
WORKSHOP_TRANSITIONS = (
    "start_triage",
    "wipe",
    "start_refurbishment",
    "mark_ready",
    "dismantle",
    "recycle",
    "declare_lost",
)


def _lock(device_id: int, *, with_records: tuple = ()) -> Device:
    """The device row, locked until the end of the transaction (only that row: joining the
    owner here would lock the organisation's row too and queue every transition of the
    organisation behind one another). ``with_records``: related rows to fetch with it."""
    try:
        return Device.objects.select_for_update().prefetch_related(*with_records).get(pk=device_id)
    except Device.DoesNotExist:
        raise DeviceActionError(_("Cet appareil n'existe pas.")) from None


# What the conditions of the transitions read. Fetched with the locked row, once: the
# conditions run twice (permission check, then the transition itself) and each of them
# would otherwise query the media, their erasures and the tests again every time.
# Of the erasures, the conditions read only the result and the cycle: not their reports
# (a whole nwipe log each).
_ERASURES_FOR_CONDITIONS = Prefetch(
    "storage_media__erasures",
    queryset=ErasureRecord.objects.only("medium_id", "result", "device_cycle"),
)
_CONDITION_RECORDS = {
    Device.all_data_erased: (_ERASURES_FOR_CONDITIONS,),
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


def _state_label(state: str) -> str:
    return str(State(state).label)


def _check_expected_state(device: Device, expected_state: str | None) -> None:
    if expected_state and device.state != expected_state:
        raise DeviceChanged(
            _(
                "L'appareil %(code)s a changé entre-temps : il est maintenant « %(state)s ». "
                "Rechargez la page avant d'agir."
            )
            % {"code": device.public_code, "state": _state_label(device.state)}
        )


def _explain_conditions(device: Device, name: str) -> str:
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


def run_transition(
    device_id: int,
    name: str,
    actor,
    *,
    expected_state: str | None = None,
    note: str = "",
    data: dict | None = None,
    **kwargs,
) -> DeviceEvent:
    """Run one lifecycle transition on a device, with its event row, atomically."""
    info = TRANSITIONS.get(name)
    if info is None:
        raise TransitionRefused(_("Action inconnue."))
    with transaction.atomic():
        device = _lock(device_id, with_records=RECORDS_READ_BY.get(name, ()))
        _check_expected_state(device, expected_state)
        return _transition_locked(device, info, actor, note=note, data=data, **kwargs)


# The columns a transition may change (state aside): the update writes only those changed.
_WRITABLE_COLUMNS = tuple(
    field.attname
    for field in Device._meta.concrete_fields
    if not field.primary_key and not field.generated and field.name != "state"
)


def _column_values(device: Device) -> dict:
    return {column: getattr(device, column) for column in _WRITABLE_COLUMNS}


def _transition_locked(
    device: Device, info: TransitionInfo, actor, *, note: str, data: dict | None, **kwargs
) -> DeviceEvent:
    """The transition on a device locked by the caller's transaction: state, permission,
    conditions, then the device row and its event."""
    name = info.name
    if device.state not in info.sources and "*" not in info.sources:
        raise TransitionRefused(
            _("Action « %(action)s » impossible : l'appareil %(code)s est « %(state)s ».")
            % {
                "action": info.label,
                "code": device.public_code,
                "state": _state_label(device.state),
            }
        )
    method = getattr(device, name)
    if not actor.is_superuser and not has_role(actor, device.owner_id, POOL_ROLES):
        raise ActionNotPermitted(_("Vous n'avez pas accès à cet appareil."))
    if not has_transition_perm(method, actor):
        # has_transition_perm is also false when conditions fail: tell which.
        if method._django_fsm.conditions_met(device, device.state):
            raise ActionNotPermitted(
                _("Votre rôle ne permet pas l'action « %(action)s ».") % {"action": info.label}
            )
        raise TransitionRefused(_explain_conditions(device, name))
    source = device.state
    before = _column_values(device)
    try:
        method(**kwargs)
        changed = [
            column for column, value in _column_values(device).items() if before[column] != value
        ]
        return device.save_transition(
            action=name, source=source, actor=actor, note=note, data=data, changed=changed
        )
    except TransitionNotAllowed:
        raise TransitionRefused(_explain_conditions(device, name)) from None
    except ConcurrentTransition:
        raise DeviceChanged(
            _("L'appareil a changé entre-temps. Rechargez la page avant d'agir.")
        ) from None


# --- registration and inventory -------------------------------------------------------------


def device_register(*, owner, actor, media: list[dict] | None = None, **fields) -> Device:
    """Register a device received by ``owner`` with its storage media; writes its first event."""
    if not actor.is_superuser and not has_role(actor, owner.pk, POOL_ROLES):
        raise ActionNotPermitted(
            _("Vous ne pouvez pas enregistrer d'appareil pour cette organisation.")
        )
    location = fields.get("location")
    if location is not None and location.organisation_id != owner.pk:
        raise DeviceActionError(_("Cet emplacement appartient à une autre organisation."))
    for attempt in range(5):
        try:
            with transaction.atomic():
                device = Device(owner=owner, public_code=generate_code(), **fields)
                device.search_document = device_document(
                    {name: getattr(device, name) for name in DEVICE_TEXT_FIELDS}, media or ()
                )
                device.full_clean(exclude=["public_code", "state"])
                device.save()
                for medium in media or []:
                    StorageMedium.objects.create(device=device, **medium)
                DeviceEvent.objects.create(
                    device=device,
                    action="register",
                    source_state="",
                    target_state=device.state,
                    actor=actor,
                )
                return device
        except IntegrityError:
            # Retry only on a public code collision (rare); anything else is re-raised.
            if attempt == 4 or not Device.objects.filter(public_code=device.public_code).exists():
                raise
    raise AssertionError("unreachable")


def device_move(device_id: int, actor, location: StockLocation | None) -> DeviceEvent:
    with transaction.atomic():
        device = _lock(device_id)
        if not actor.is_superuser and not has_role(actor, device.owner_id, POOL_ROLES):
            raise ActionNotPermitted(_("Vous n'avez pas accès à cet appareil."))
        if device.state in TERMINAL_STATES:
            raise TransitionRefused(_("Un appareil sorti du parc ne peut plus être déplacé."))
        if location is not None and location.organisation_id != device.owner_id:
            raise DeviceActionError(_("Cet emplacement appartient à une autre organisation."))
        previous = device.location.name if device.location_id else ""
        device.location = location
        device.save(update_fields=["location"])
        return DeviceEvent.objects.create(
            device=device,
            action="move",
            source_state=device.state,
            target_state=device.state,
            actor=actor,
            data={"from": previous, "to": location.name if location else ""},
        )


# --- erasure -------------------------------------------------------------------------------

ERASURE_STATES = frozenset(
    {State.REGISTERED, State.TRIAGE, State.WIPED, State.REFURBISHING, State.RETURNED}
)


def storage_medium_add(device_id: int, actor, **fields) -> StorageMedium:
    with transaction.atomic():
        device = _lock(device_id)
        if not actor.is_superuser and not has_role(actor, device.owner_id, POOL_ROLES):
            raise ActionNotPermitted(_("Vous n'avez pas accès à cet appareil."))
        if device.state not in ERASURE_STATES:
            raise TransitionRefused(
                _("On n'ajoute un support de stockage qu'à un appareil en atelier.")
            )
        medium = StorageMedium(device=device, **fields)
        medium.full_clean()
        medium.save()
        add_search_words(
            device, [medium.manufacturer, medium.model, medium.serial], [medium.serial]
        )
        DeviceEvent.objects.create(
            device=device,
            action="add_medium",
            source_state=device.state,
            target_state=device.state,
            actor=actor,
            note=str(medium),
        )
        return medium


def erasure_record(medium_id: int, actor, **fields) -> ErasureRecord:
    """Record one sanitization of one medium, for the device's current cycle."""
    with transaction.atomic():
        try:
            medium = StorageMedium.objects.select_related("device").get(pk=medium_id)
        except StorageMedium.DoesNotExist:
            raise DeviceActionError(_("Ce support de stockage n'existe pas.")) from None
        device = _lock(medium.device_id)
        if not actor.is_superuser and not has_role(actor, device.owner_id, POOL_ROLES):
            raise ActionNotPermitted(_("Vous n'avez pas accès à cet appareil."))
        if device.state not in ERASURE_STATES:
            raise TransitionRefused(
                _(
                    "Un effacement ne s'enregistre que sur un appareil en atelier "
                    "(état « %(state)s »)."
                )
                % {"state": _state_label(device.state)}
            )
        record = ErasureRecord(
            medium=medium,
            device_cycle=device.cycle,
            manufacturer=medium.manufacturer,
            model=medium.model,
            serial=medium.serial,
            media_type=medium.media_type,
            operator=actor,
            **fields,
        )
        record.full_clean()
        record.save()
        DeviceEvent.objects.create(
            device=device,
            action="erasure",
            source_state=device.state,
            target_state=device.state,
            actor=actor,
            note=f"{medium} : {record.get_result_display()}",
            data={"erasure_id": record.pk, "result": record.result, "level": record.level},
        )
        return record


# --- workshop transitions --------------------------------------------------------------------


def device_start_triage(device_id, actor, *, expected_state=None, note=""):
    return run_transition(
        device_id, "start_triage", actor, expected_state=expected_state, note=note
    )


def device_wipe(device_id, actor, *, expected_state=None, note=""):
    return run_transition(device_id, "wipe", actor, expected_state=expected_state, note=note)


def device_start_refurbishment(device_id, actor, *, expected_state=None, note=""):
    return run_transition(
        device_id, "start_refurbishment", actor, expected_state=expected_state, note=note
    )


def device_mark_ready(
    device_id,
    actor,
    *,
    checklist: dict[str, bool],
    grade: str,
    parts_replaced: str = "",
    os_installed: str = "",
    note: str = "",
    expected_state=None,
) -> DeviceEvent:
    """Record the functional test and make the device available, or change nothing."""
    with transaction.atomic():
        device = _lock(device_id, with_records=(_ERASURES_FOR_CONDITIONS,))
        _check_expected_state(device, expected_state)
        checks = checklist_for(device.kind)
        missing = [str(label) for key, label in checks if not checklist.get(key)]
        if missing:
            raise TransitionRefused(
                _("Tests fonctionnels non validés : %(checks)s.") % {"checks": " ; ".join(missing)}
            )
        # Rolled back with everything else if the transition below is refused.
        RefurbishmentRecord.objects.create(
            device=device,
            device_cycle=device.cycle,
            checklist={key: bool(checklist.get(key)) for key, _label in checks},
            passed=True,
            parts_replaced=parts_replaced,
            os_installed=os_installed,
            grade=grade,
            technician=actor,
            notes=note,
        )
        # The test just recorded is among those the transition's condition reads.
        prefetch_related_objects([device], "refurbishments")
        event = _transition_locked(
            device,
            TRANSITIONS["mark_ready"],
            actor,
            note=note,
            data={"grade": grade, "os_installed": os_installed},
            grade=grade,
            os_installed=os_installed,
        )
        # The system installed and the test's remarks are searchable words of the device.
        add_search_words(device, [os_installed, parts_replaced, note])
        return event


def device_dismantle(device_id, actor, *, expected_state=None, note=""):
    return run_transition(device_id, "dismantle", actor, expected_state=expected_state, note=note)


def device_recycle(device_id, actor, *, expected_state=None, note=""):
    return run_transition(device_id, "recycle", actor, expected_state=expected_state, note=note)


def device_declare_lost(device_id, actor, *, expected_state=None, note=""):
    if not note.strip():
        raise ValidationError(_("Précisez les circonstances de la perte ou du vol."))
    return run_transition(
        device_id, "declare_lost", actor, expected_state=expected_state, note=note
    )


# --- actions on several devices (the list's ticked rows) ---------------------------------------

# Transitions the list applies to ticked devices: those with no form of their own per device
# (a functional test's checklist, a loss's circumstances are written device by device).
BULK_TRANSITIONS = ("start_triage", "wipe", "start_refurbishment", "dismantle", "recycle")
BULK_LIMIT = 100


@dataclass(frozen=True)
class BulkOutcome:
    """What became of one device of a bulk action: done, or refused and why (French)."""

    device_id: int
    code: str
    done: bool
    message: str


def _bulk(device_ids, run) -> list[BulkOutcome]:
    """``run(device_id)`` for each device, each in its own transaction (the service's): a
    refused device stays as it was and the others go on."""
    device_ids = list(dict.fromkeys(device_ids))
    if not device_ids:
        raise InvalidInput(_("Aucun appareil sélectionné : cochez-en au moins un."))
    if len(device_ids) > BULK_LIMIT:
        raise InvalidInput(
            _("Trop d'appareils sélectionnés : %(max)s au plus en une fois.") % {"max": BULK_LIMIT},
            code="too_many_devices",
        )
    codes = dict(Device.objects.filter(pk__in=device_ids).values_list("pk", "public_code"))
    outcomes = []
    for device_id in device_ids:
        code = codes.get(device_id, "")
        try:
            message = run(device_id)
        except (DeviceActionError, ApplicationError, ValidationError) as error:
            refusal = error.messages if isinstance(error, ValidationError) else [error.message]
            outcomes.append(BulkOutcome(device_id, code, False, " ".join(refusal)))
        else:
            outcomes.append(BulkOutcome(device_id, code, True, message))
    return outcomes


def devices_bulk_transition(
    device_ids, name: str, actor, *, expected_states: dict | None = None, note: str = ""
) -> list[BulkOutcome]:
    """Run one workshop transition on each device (``BULK_TRANSITIONS``), through
    ``run_transition``: row lock, the state the user saw, permission, conditions, event."""
    if name not in BULK_TRANSITIONS:
        raise InvalidInput(_("Cette action ne s'applique pas à plusieurs appareils à la fois."))
    info = TRANSITIONS[name]
    expected_states = expected_states or {}

    def run(device_id):
        event = run_transition(
            device_id, name, actor, expected_state=expected_states.get(device_id), note=note
        )
        return _("%(action)s : fait, l'appareil est maintenant « %(state)s ».") % {
            "action": info.label,
            "state": _state_label(event.target_state),
        }

    return _bulk(device_ids, run)


def devices_bulk_move(device_ids, actor, location: StockLocation | None) -> list[BulkOutcome]:
    """Move each device to ``location`` (None: no location), through ``device_move``."""

    def run(device_id):
        device_move(device_id, actor, location)
        if location is None:
            return _("Emplacement retiré.")
        return _("Déplacé vers « %(location)s ».") % {"location": location.name}

    return _bulk(device_ids, run)
