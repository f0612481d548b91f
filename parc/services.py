"""Use cases of the pool. One function per use case; every caller (views, admin, scans, the
import, the loan scheme, the workshops, commands) goes through them so they all behave alike:

open a transaction, lock the device row, check the state the user saw, check the pool role,
run the transition (``parc.transitions.DEVICE``, the kernel's engine), save the device with
its event row (``parc.events``).

The floors above drive devices through typed services, never by a transition's name: the loan
scheme calls ``device_allocate``, ``device_release``, ``device_lend``, ``device_sell``,
``device_take_back``, ``device_transfer_to_borrower`` and ``device_declare_lost``; the
workshops ``device_repair_record``. Refusals are ``core.errors`` (French message, stable code).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from acteurs.permissions import POOL_ROLES, has_role
from core.errors import ApplicationError, InvalidInput, NotFound, NotPermitted, Refused

from . import events, signals
from .bulk import DeviceRow, MediumRow, devices_register_bulk  # noqa: F401 (re-exported)
from .checklists import checklist_for
from .codes import generate_code
from .models import (
    TERMINAL_STATES,
    Device,
    DeviceEvent,
    ErasureRecord,
    Part,
    PartUse,
    RefurbishmentRecord,
    State,
    StockLocation,
    StorageMedium,
    UsageProfile,
    WorkStage,
    WorkTime,
    adaptation_mask,
)
from .search import DEVICE_TEXT_FIELDS, add_search_words, device_document
from .transitions import (
    DEVICE,
    ERASURE_STATES,
    ERASURES_FOR_CONDITIONS,
    WORKSHOP_TRANSITIONS,
    check_pool_access,
)

__all__ = ["ERASURE_STATES", "TRANSITIONS", "WORKSHOP_TRANSITIONS"]

TRANSITIONS = DEVICE.transitions


def _lock(device_id: int, *, with_records: tuple = ()) -> Device:
    return DEVICE.lock(device_id, prefetch=with_records)


def _run(device_id: int, name: str, actor, *, expected_state=None, note="", data=None, **kwargs):
    return DEVICE.run(
        device_id, name, actor, expected_state=expected_state, note=note, data=data, **kwargs
    )


# --- registration and inventory -------------------------------------------------------------


def check_donation_accepts(donation, owner) -> None:
    """A device is registered for a donation its owner received, while it accepts devices
    (``Donation.accepts_devices``): never a sorted or cancelled one, nor another's."""
    if donation is None:
        return
    if donation.gisement.refurbisher_id != owner.pk:
        raise InvalidInput(
            _("Ce don a été reçu par une autre organisation."),
            code="foreign_donation",
            field="donation",
        )
    if not donation.accepts_devices:
        raise Refused(
            _("Le don n° %(n)s est « %(state)s » : on n'y enregistre plus d'appareil.")
            % {"n": donation.pk, "state": donation.get_state_display()},
            code="donation_closed",
            field="donation",
        )


def check_register_access(actor, owner) -> None:
    if not actor.is_superuser and not has_role(actor, owner.pk, POOL_ROLES):
        raise NotPermitted(_("Vous ne pouvez pas enregistrer d'appareil pour cette organisation."))


def device_register(*, owner, actor, media: list[dict] | None = None, **fields) -> Device:
    """Register a device received by ``owner`` with its storage media; writes its first event."""
    check_register_access(actor, owner)
    location = fields.get("location")
    if location is not None and location.organisation_id != owner.pk:
        raise InvalidInput(
            _("Cet emplacement appartient à une autre organisation."),
            code="foreign_location",
            field="location",
        )
    if media and fields.get("received_without_storage"):
        raise InvalidInput(
            _("Un appareil reçu sans support de stockage ne peut pas en avoir un ici."),
            code="storage_contradiction",
            field="received_without_storage",
        )
    donation = fields.get("donation")
    if donation is not None:
        # The donation's state as it is now, not as the form read it.
        donation.refresh_from_db(fields=["state"])
    check_donation_accepts(donation, owner)
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
                events.device_registered(device, actor)
                return device
        except IntegrityError:
            # Retry only on a public code collision (rare); anything else is re-raised.
            if attempt == 4 or not Device.objects.filter(public_code=device.public_code).exists():
                raise
    raise AssertionError("unreachable")


def device_move(device_id: int, actor, location: StockLocation | None) -> DeviceEvent:
    with transaction.atomic():
        device = _lock(device_id)
        check_pool_access(device, actor)
        if device.state in TERMINAL_STATES:
            raise Refused(
                _("Un appareil sorti du parc ne peut plus être déplacé."), code="device_gone"
            )
        if location is not None and location.organisation_id != device.owner_id:
            raise InvalidInput(
                _("Cet emplacement appartient à une autre organisation."),
                code="foreign_location",
                field="location",
            )
        previous = device.location.name if device.location_id else ""
        device.location = location
        device.save(update_fields=["location"])
        return events.device_moved(device, actor, previous=previous, location=location)


# --- erasure -------------------------------------------------------------------------------

# An erasure's end a little ahead of the server's clock is the operator's watch, not the future.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


def storage_medium_add(device_id: int, actor, **fields) -> StorageMedium:
    with transaction.atomic():
        device = _lock(device_id)
        check_pool_access(device, actor)
        if device.state not in ERASURE_STATES:
            raise Refused(
                _("On n'ajoute un support de stockage qu'à un appareil en atelier."),
                code="not_in_workshop",
            )
        medium = StorageMedium(device=device, **fields)
        medium.full_clean()
        medium.save()
        add_search_words(
            device, [medium.manufacturer, medium.model, medium.serial], [medium.serial]
        )
        events.medium_added(device, actor, medium)
        return medium


def erasure_record(medium_id: int, actor, **fields) -> ErasureRecord:
    """Record one sanitization of one medium, for the device's current cycle."""
    ended_at = fields.get("ended_at")
    if isinstance(ended_at, str):
        ended_at = parse_datetime(ended_at)
    if ended_at is not None and timezone.is_naive(ended_at):
        ended_at = timezone.make_aware(ended_at)
    if ended_at is not None and ended_at > timezone.now() + CLOCK_TOLERANCE:
        raise InvalidInput(
            _("La fin ne peut pas être dans le futur."), code="erasure_in_future", field="ended_at"
        )
    with transaction.atomic():
        try:
            medium = StorageMedium.objects.select_related("device").get(pk=medium_id)
        except StorageMedium.DoesNotExist:
            raise NotFound(_("Ce support de stockage n'existe pas.")) from None
        device = _lock(medium.device_id)
        check_pool_access(device, actor)
        if device.state not in ERASURE_STATES:
            raise Refused(
                _(
                    "Un effacement ne s'enregistre que sur un appareil en atelier "
                    "(état « %(state)s »)."
                )
                % {"state": device.get_state_display()},
                code="not_in_workshop",
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
        events.erasure_recorded(device, actor, medium=medium, record=record)
        return record


# --- workshop transitions --------------------------------------------------------------------


def device_start_triage(device_id, actor, *, expected_state=None, note=""):
    return _run(device_id, "start_triage", actor, expected_state=expected_state, note=note)


def device_wipe(device_id, actor, *, expected_state=None, note=""):
    return _run(device_id, "wipe", actor, expected_state=expected_state, note=note)


def device_start_refurbishment(device_id, actor, *, expected_state=None, note=""):
    return _run(device_id, "start_refurbishment", actor, expected_state=expected_state, note=note)


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
    usage_profile_id: int | None = None,
    adaptations=(),
) -> DeviceEvent:
    """Record the functional test and make the device available, or change nothing. The
    usage profile and the adaptations fitted (``parc.models.profiles``) go on the record and
    on the device, where the allocation suggestion reads them."""
    with transaction.atomic():
        device = _lock(device_id, with_records=(ERASURES_FOR_CONDITIONS,))
        DEVICE.check_expected_state(device, expected_state)
        check_pool_access(device, actor)
        checks = checklist_for(device.kind)
        missing = [str(label) for key, label in checks if not checklist.get(key)]
        if missing:
            raise Refused(
                _("Tests fonctionnels non validés : %(checks)s.") % {"checks": " ; ".join(missing)},
                code="functional_test_failed",
            )
        if (
            usage_profile_id is not None
            and not UsageProfile.objects.filter(pk=usage_profile_id, is_active=True).exists()
        ):
            raise InvalidInput(_("Ce profil d'usage n'est plus proposé."), field="usage_profile")
        fitted = adaptation_mask(adaptations)
        # Rolled back with everything else if the transition below is refused.
        RefurbishmentRecord.objects.create(
            usage_profile_id=usage_profile_id,
            adaptations=fitted,
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
        event = DEVICE.run_locked(
            device,
            "mark_ready",
            actor,
            note=note,
            data={"grade": grade, "os_installed": os_installed},
            grade=grade,
            os_installed=os_installed,
            usage_profile_id=usage_profile_id,
            adaptations=fitted,
        )
        # The system installed and the test's remarks are searchable words of the device.
        add_search_words(device, [os_installed, parts_replaced, note])
        return event


def device_dismantle(device_id, actor, *, expected_state=None, note=""):
    return _run(device_id, "dismantle", actor, expected_state=expected_state, note=note)


def device_recycle(device_id, actor, *, expected_state=None, note=""):
    return _run(device_id, "recycle", actor, expected_state=expected_state, note=note)


def device_declare_lost(
    device_id, actor, *, note: str, expected_state=None, loan_id: int | None = None
) -> DeviceEvent:
    """A device allocated or on loan is lost or stolen (from the device page, or the end of
    its loan: ``loan_id``)."""
    if not (note or "").strip():
        raise InvalidInput(
            _("Précisez les circonstances de la perte ou du vol."),
            code="circumstances_missing",
            field="note",
        )
    return _run(
        device_id,
        "declare_lost",
        actor,
        expected_state=expected_state,
        note=note,
        data={"loan": loan_id} if loan_id is not None else None,
    )


# --- the loan scheme's transitions (prets: its own rows go with them) -----------------------


def device_allocate(
    device_id: int, actor, *, request_id: int, note: str = "", expected_state=State.READY
) -> DeviceEvent:
    """Set a ready device aside for a request."""
    return _run(
        device_id,
        "allocate",
        actor,
        expected_state=expected_state,
        note=note,
        data={"request": request_id},
    )


def device_release(device_id: int, actor, *, request_id: int, note: str = "") -> DeviceEvent:
    """A device set aside goes back to the shelves."""
    return _run(
        device_id,
        "release",
        actor,
        expected_state=State.ALLOCATED,
        note=note,
        data={"request": request_id},
    )


def device_lend(device_id: int, actor, *, loan_id: int, note: str = "") -> DeviceEvent:
    return _run(
        device_id, "lend", actor, expected_state=State.ALLOCATED, note=note, data={"loan": loan_id}
    )


def device_sell(
    device_id: int, actor, *, sale_id: int, price: Decimal, note: str = ""
) -> DeviceEvent:
    """Sold (or given, at 0 €) to the household the device was set aside for."""
    return _run(
        device_id,
        "sell",
        actor,
        expected_state=State.ALLOCATED,
        note=note,
        data={"sale": sale_id, "price": str(price)},
    )


def device_take_back(
    device_id: int,
    actor,
    *,
    loan_id: int,
    complete: bool = True,
    accessories_returned: bool = True,
    note_on_loan: bool = False,
) -> DeviceEvent:
    """Back from a loan: the borrower's data is on it, it starts a new cycle (to be erased).

    No free text: what the desk noted about the return (a household's words, its name) stays
    with the loan; the history records only that a note exists there (``note_on_loan``)."""
    return _run(
        device_id,
        "take_back",
        actor,
        expected_state=State.ON_LOAN,
        data={
            "loan": loan_id,
            "complete": bool(complete),
            "accessories": bool(accessories_returned),
            **({"note_on_loan": True} if note_on_loan else {}),
        },
    )


def device_transfer_to_borrower(
    device_id: int, actor, *, loan_id: int, note_on_loan: bool = False
) -> DeviceEvent:
    """The household keeps the device it borrowed (a note, if any, stays with the loan)."""
    return _run(
        device_id,
        "transfer_to_borrower",
        actor,
        expected_state=State.ON_LOAN,
        data={"loan": loan_id, **({"note_on_loan": True} if note_on_loan else {})},
    )


def device_history_redact(
    *,
    loan_ids: list[int],
    request_ids: list[int],
    device_ids: list[int],
    strings: list[str],
    reason: str,
    actor=None,
) -> int:
    """Erase a household's words from the history of the devices it borrowed or bought: the
    one audited redaction of the append-only log (``core.events``), for its anonymisation.
    See ``parc.events.household_texts_redacted``."""
    return events.household_texts_redacted(
        loan_ids=loan_ids,
        request_ids=request_ids,
        device_ids=device_ids,
        strings=strings,
        reason=reason,
        actor=actor,
    )


# --- repairs (ateliers) ---------------------------------------------------------------------

# States in which a pool device can come to a repair session: not dismantled, recycled or lost.
REPAIRABLE_STATES = frozenset(State.values) - {State.PARTS, State.RECYCLED, State.LOST}


def device_repair_record(
    device_id: int,
    actor,
    *,
    organisation_id: int,
    repair_id: int,
    session_id: int,
    status: str,
    barrier: str = "",
    note: str = "",
    at: dt.datetime | None = None,
) -> DeviceEvent:
    """A repair of one of the organisation's devices at its repair session joins the device's
    history (its state unchanged). The caller's transaction holds the repair row: a refusal
    here rolls it back."""
    with transaction.atomic():
        device = Device.objects.select_for_update(of=("self",)).filter(pk=device_id).first()
        if device is None or device.owner_id != organisation_id:
            raise NotFound(_("Cet appareil n'appartient pas à l'organisation de l'atelier."))
        if device.state not in REPAIRABLE_STATES:
            raise Refused(
                _("L'appareil %(code)s est « %(state)s » : il ne peut plus être réparé.")
                % {"code": device.public_code, "state": device.get_state_display()},
                code="device_gone",
            )
        return events.repair_recorded(
            device,
            actor,
            note=note,
            repair_id=repair_id,
            session_id=session_id,
            status=status,
            barrier=barrier,
            at=at,
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
        except (ApplicationError, ValidationError) as error:
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
        event = _run(
            device_id, name, actor, expected_state=expected_states.get(device_id), note=note
        )
        return _("%(action)s : fait, l'appareil est maintenant « %(state)s ».") % {
            "action": info.label,
            "state": DEVICE.state_label(event.target_state),
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


# --- the cost of refurbishing (issue 15): work time and parts ---------------------------------


def work_time_record(
    device_id: int, actor, *, stage: str, minutes: int, supported_minutes: int = 0
) -> WorkTime:
    """The technician's own work time for one stage of a device (this cycle): replaces the
    default of the stage and kind in the economics, and says how much of it supported
    workers did. Recorded again, it replaces the earlier figure."""
    if stage not in WorkStage.values:
        raise InvalidInput(_("Étape inconnue."), field="stage")
    if supported_minutes > minutes:
        raise InvalidInput(
            _("Les minutes de travailleurs accompagnés dépassent le temps total."),
            code="supported_over_total",
            field="supported_minutes",
        )
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(pk=device_id).first()
        if device is None:
            raise NotFound(_("Cet appareil n'existe pas."))
        check_pool_access(device, actor)
        work, _created = WorkTime.objects.update_or_create(
            device=device,
            device_cycle=device.cycle,
            stage=stage,
            defaults={
                "minutes": minutes,
                "supported_minutes": supported_minutes,
                "recorded_by": actor,
                "recorded_at": timezone.now(),
            },
        )
        signals.figures_changed(device.pk)
        return work


def part_use(device_id: int, part_id: int, actor, *, quantity: int = 1) -> PartUse:
    """Take parts from the organisation's stock for a device, at today's unit cost. Refused
    when the stock holds fewer: the stock row is locked, so two technicians cannot take the
    last one twice."""
    if quantity < 1:
        raise InvalidInput(_("Indiquez une quantité d'au moins 1."), field="quantity")
    with transaction.atomic():
        device = Device.objects.filter(pk=device_id).only("owner_id", "public_code").first()
        if device is None:
            raise NotFound(_("Cet appareil n'existe pas."))
        check_pool_access(device, actor)
        part = Part.objects.select_for_update().filter(pk=part_id).first()
        if part is None or part.organisation_id != device.owner_id:
            raise NotFound(_("Cette pièce n'est pas dans le stock de l'organisation."))
        if part.quantity < quantity:
            raise Refused(
                _("Stock insuffisant : %(n)s « %(label)s » en stock.")
                % {"n": part.quantity, "label": part.label},
                code="part_out_of_stock",
                field="quantity",
            )
        part.quantity -= quantity
        part.save(update_fields=["quantity"])
        used = PartUse.objects.create(
            device=device, part=part, quantity=quantity, unit_cost=part.unit_cost, used_by=actor
        )
        signals.figures_changed(device.pk)
        return used


def part_restock(part_id: int, actor, *, quantity: int, unit_cost=None) -> Part:
    """Parts received into the stock (and their new unit cost, if it changed)."""
    if quantity < 1:
        raise InvalidInput(_("Indiquez une quantité d'au moins 1."), field="quantity")
    with transaction.atomic():
        part = Part.objects.select_for_update().filter(pk=part_id).first()
        if part is None:
            raise NotFound(_("Cette pièce n'existe pas."))
        if not actor.is_superuser and not has_role(actor, part.organisation_id, POOL_ROLES):
            raise NotPermitted(_("Vous n'avez pas accès à ce stock."))
        part.quantity += quantity
        if unit_cost is not None:
            part.unit_cost = Decimal(unit_cost)
        part.save(update_fields=["quantity", "unit_cost"])
        return part
