"""Scanning: read what a scanner or a person typed, and batch mode (fill once, scan many).

One function per use case, like ``parc.services``, which they call to act on devices:

- ``read_code``: clean the raw input and read it as a public code, forgivingly.
- ``batch_start``: choose once what every scan of a batch does (a workshop transition, a
  move to a stock location, or the inventory of a location).
- ``scan``: apply the batch's action to one scanned code and record a ``ScanLine``, whatever
  the outcome (applied, duplicate, refused, unknown, mistyped): one failure never stops the
  batch. The action and its line are written in one transaction; the partial unique
  constraint on ``ScanLine`` guarantees a device is acted on once per batch, even when the
  same code arrives twice at the same time.
- ``batch_close``, ``inventory_move_here``.

Refusals raise ``core.errors`` refusals whose ``message`` is French.
"""

import unicodedata

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from acteurs.models import Organisation
from acteurs.permissions import POOL_ROLES, has_role
from core.errors import ApplicationError, InvalidInput, NotPermitted, Refused

from ..codes import MistypedCode, NotACode, normalize_code
from ..models import (
    TERMINAL_STATES,
    Device,
    ScanAction,
    ScanBatch,
    ScanLine,
    ScanOutcome,
    State,
    StockLocation,
)
from ..services import (
    TRANSITIONS,
    device_dismantle,
    device_move,
    device_recycle,
    device_start_refurbishment,
    device_start_triage,
)

# Workshop transitions that make sense on a pallet of devices, one scan each (their use
# cases). wipe and mark_ready need a form per device (erasures, checklist); declare_lost
# needs circumstances.
BATCH_SERVICES = {
    "start_triage": device_start_triage,
    "start_refurbishment": device_start_refurbishment,
    "recycle": device_recycle,
    "dismantle": device_dismantle,
}
BATCH_TRANSITIONS = tuple(BATCH_SERVICES)
# A device URL with a long base address stays well under this; ScanLine.raw holds 200.
MAX_SCAN_LENGTH = 200
MAX_MESSAGE_LENGTH = ScanLine._meta.get_field("message").max_length


class ScanInputError(InvalidInput):
    """Nothing to read (empty, too long, only control characters): no line is recorded."""

    code = "nothing_to_read"


class CodeRejected(InvalidInput):
    """The text is not a usable code; ``outcome`` says why (unknown or mistyped)."""

    code = "code_rejected"

    def __init__(self, message: str, *, outcome: str, text: str):
        super().__init__(message)
        self.outcome = outcome
        self.text = text


class BatchClosed(Refused):
    code = "batch_closed"


# --- reading a scanned code ---------------------------------------------------------------------


def clean_scanned_text(raw) -> str:
    """What a scanner or a person typed, without control characters, or ScanInputError.

    Scanners may add prefixes or suffixes (GS, CR, tab…); a pasted text may hold anything.
    """
    text = str(raw or "").strip()
    if len(text) > MAX_SCAN_LENGTH:
        raise ScanInputError(
            _(
                "Saisie trop longue (%(length)s caractères) : scannez une seule étiquette à la "
                "fois, ou tapez un code comme FIL-7K3QX9A."
            )
            % {"length": len(text)}
        )
    cleaned = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C")).strip()
    if not cleaned:
        if text:
            raise ScanInputError(
                _(
                    "La saisie ne contient que des caractères invisibles : scannez à nouveau "
                    "l'étiquette."
                )
            )
        raise ScanInputError(_("Aucun code saisi : scannez une étiquette ou tapez son code."))
    return cleaned


def read_code(raw) -> str:
    """The canonical code for what was scanned or typed (bare code or device URL).

    Raises ScanInputError (nothing to read) or CodeRejected (not a code, or mistyped).
    """
    text = clean_scanned_text(raw)
    try:
        return normalize_code(text)
    except MistypedCode:
        raise CodeRejected(
            _("Code mal saisi, vérifiez la saisie (le dernier caractère ne correspond pas)."),
            outcome=ScanOutcome.MISTYPED,
            text=text,
        ) from None
    except NotACode:
        raise CodeRejected(
            _("Ce n'est pas un code Filière (exemple : FIL-7K3QX9A)."),
            outcome=ScanOutcome.UNKNOWN,
            text=text,
        ) from None


def unknown_code_message() -> str:
    # The same words for a code nobody has and a device of another organisation: its
    # existence is not disclosed.
    return _("Code inconnu : aucun appareil de votre organisation ne porte ce code.")


# --- batches ------------------------------------------------------------------------------------


def _check_member(user, organisation_id: int) -> None:
    if not user.is_superuser and not has_role(user, organisation_id, POOL_ROLES):
        raise NotPermitted(_("Vous n'avez pas accès au parc de cette organisation."))


def _may_run(user, organisation_id: int, name: str) -> bool:
    """The transition's own permission rule, for a device of this organisation."""
    probe = Device(owner_id=organisation_id)
    for t in Device._meta.get_field("state").get_all_transitions(Device):
        if t.name == name:
            return t.has_perm(probe, user)
    return False


def batch_start(
    user,
    *,
    organisation: Organisation,
    action: str,
    transition: str = "",
    location: StockLocation | None = None,
) -> ScanBatch:
    """Open a batch: what every scan will do, chosen once."""
    _check_member(user, organisation.pk)
    if action == ScanAction.TRANSITION:
        if transition not in BATCH_TRANSITIONS:
            raise InvalidInput(_("Cette action ne peut pas s'appliquer en série."))
        if not _may_run(user, organisation.pk, transition):
            raise NotPermitted(
                _("Votre rôle ne permet pas l'action « %(action)s ».")
                % {"action": TRANSITIONS[transition].label}
            )
        location = None
    elif action in (ScanAction.MOVE, ScanAction.INVENTORY):
        if location is None:
            raise InvalidInput(_("Choisissez un emplacement."), field="location")
        if location.organisation_id != organisation.pk:
            raise InvalidInput(
                _("Cet emplacement appartient à une autre organisation."),
                code="foreign_location",
                field="location",
            )
        if not location.is_active:
            raise Refused(_("Cet emplacement n'est plus utilisé."), field="location")
        transition = ""
    else:
        raise InvalidInput(_("Action inconnue."))
    return ScanBatch.objects.create(
        organisation=organisation,
        user=user,
        action=action,
        transition=transition,
        location=location,
    )


def batch_close(batch: ScanBatch, user) -> ScanBatch:
    _check_member(user, batch.organisation_id)
    if batch.closed_at is None:
        batch.closed_at = timezone.now()
        batch.save(update_fields=["closed_at"])
    return batch


def _truncate(message: str) -> str:
    if len(message) <= MAX_MESSAGE_LENGTH:
        return message
    return message[: MAX_MESSAGE_LENGTH - 1] + "…"


def _record(batch, text, device, outcome, message) -> ScanLine:
    return ScanLine.objects.create(
        batch=batch, raw=text, device=device, outcome=outcome, message=_truncate(message)
    )


class _AlreadyApplied(Exception):
    pass


def _already_applied(batch: ScanBatch, device_id: int) -> bool:
    return batch.lines.filter(device_id=device_id, outcome=ScanOutcome.APPLIED).exists()


def _inventory_message(batch: ScanBatch, device: Device) -> str:
    if device.state in TERMINAL_STATES:
        return _("Vu ici, mais l'appareil est sorti du parc (« %(state)s »).") % {
            "state": device.get_state_display()
        }
    if device.location_id == batch.location_id:
        return _("Vu ici.")
    if device.location_id is None:
        return _("Vu ici, mais aucun emplacement n'est enregistré pour cet appareil.")
    return _("Vu ici, mais enregistré à « %(location)s ».") % {"location": device.location.name}


def _apply(batch: ScanBatch, device: Device, user) -> str:
    """Run the batch's action on the (locked) device; the French line message."""
    if batch.action == ScanAction.TRANSITION:
        event = BATCH_SERVICES[batch.transition](device.pk, user)
        return _("%(action)s : fait, l'appareil est maintenant « %(state)s ».") % {
            "action": TRANSITIONS[batch.transition].label,
            "state": State(event.target_state).label,
        }
    if batch.action == ScanAction.MOVE:
        device_move(device.pk, user, batch.location)
        return _("Déplacé vers « %(location)s ».") % {"location": batch.location.name}
    # Inventory: a sighting, not a state change, so no transition and no event.
    Device.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())
    return _inventory_message(batch, device)


def scan(batch: ScanBatch, raw_text, user) -> ScanLine:
    """Apply the batch's action to one scanned code; always records a line, except when there
    is nothing to read (ScanInputError). Raises BatchClosed on a closed batch."""
    _check_member(user, batch.organisation_id)
    if batch.closed_at is not None:
        raise BatchClosed(_("Cette série est terminée : commencez-en une nouvelle."))
    text = clean_scanned_text(raw_text)
    try:
        code = read_code(text)
    except CodeRejected as rejected:
        return _record(batch, text, None, rejected.outcome, rejected.message)
    try:
        device = Device.objects.only("id", "state").get(
            public_code=code, owner_id=batch.organisation_id
        )
    except Device.DoesNotExist:
        return _record(batch, text, None, ScanOutcome.UNKNOWN, unknown_code_message())
    duplicate = _("Déjà scanné dans cette série.")
    try:
        with transaction.atomic():
            # Serialise the scans of one device: a second scan of the same code waits here
            # for the first one to commit, then finds its line.
            locked = (
                Device.objects.select_for_update(of=("self",))
                .select_related("location")
                .get(pk=device.pk)
            )
            if _already_applied(batch, locked.pk):
                raise _AlreadyApplied
            message = _apply(batch, locked, user)
            return _record(batch, text, locked, ScanOutcome.APPLIED, message)
    except _AlreadyApplied:
        return _record(batch, text, device, ScanOutcome.DUPLICATE, duplicate)
    except IntegrityError:
        # The partial unique constraint: another scan of this device won the race.
        if not _already_applied(batch, device.pk):
            raise
        return _record(batch, text, device, ScanOutcome.DUPLICATE, duplicate)
    except ApplicationError as error:
        return _record(batch, text, device, ScanOutcome.REFUSED, error.message)


def inventory_move_here(batch: ScanBatch, device_id: int, user):
    """Record at the inventoried location a device seen there but recorded elsewhere."""
    _check_member(user, batch.organisation_id)
    if batch.action != ScanAction.INVENTORY:
        raise Refused(_("Cette série n'est pas un inventaire."))
    if batch.closed_at is not None:
        raise BatchClosed(_("Cet inventaire est clos."))
    if not _already_applied(batch, device_id):
        raise Refused(_("Cet appareil n'a pas été vu pendant cet inventaire."))
    return device_move(device_id, user, batch.location)
