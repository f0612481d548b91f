"""Use cases of gisements and donations. One function per use case; views, admin, imports and
commands all call them, so they all behave alike: open a transaction, lock the row, check the
state the user saw, check permission, change the row, write the event.

Staff and admins of the refurbishing organisation manage its gisements and donations;
technicians and the coordination read them (dons/selectors.py).
"""

import datetime as dt
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from acteurs.models import Organisation
from core.errors import ApplicationError, Changed, NotFound, NotPermitted, Refused

from . import events
from .models import (
    Convention,
    Donation,
    DonationDocument,
    DonationEvent,
    DonationLine,
    DonationState,
    Gisement,
)
from .permissions import can_manage, can_read
from .transitions import DONATION, TRANSITION_ORDER

__all__ = ["can_manage", "can_read", "TRANSITION_ORDER"]


# Kept as names for the callers of this app; all are the kernel's error types.
DonationActionError = ApplicationError
ActionNotPermitted = NotPermitted
TransitionRefused = Refused
DonationChanged = Changed


# --- permissions ------------------------------------------------------------------------------


def _require_manager(user, refurbisher_id: int) -> None:
    if not can_manage(user, refurbisher_id):
        raise ActionNotPermitted(
            _("Seules l'équipe et les administrateurs de la structure gèrent ses dons.")
        )


# --- gisements ----------------------------------------------------------------------------------

GISEMENT_FIELDS = (
    "donor_kind",
    "name",
    "address",
    "commune",
    "contact_name",
    "contact_email",
    "contact_phone",
    "frequency",
    "expected_volume_per_year",
    "notes",
)


def donor_create(*, actor, refurbisher: Organisation, name: str, siret: str = "", commune=None):
    """A donor organisation registered from the gisement form (flagged as donor)."""
    _require_manager(actor, refurbisher.pk)
    name = name.strip()
    if Organisation.objects.filter(name__iexact=name).exists():
        raise DonationActionError(
            _("L'organisation « %(name)s » existe déjà : choisissez-la dans la liste.")
            % {"name": name}
        )
    donor = Organisation(
        name=name, short_name=name[:30], siret=siret, commune=commune, is_donor=True
    )
    donor.full_clean()
    donor.save()
    return donor


def gisement_create(*, actor, refurbisher: Organisation, donor: Organisation, **fields):
    unknown = set(fields) - set(GISEMENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown gisement fields: {sorted(unknown)}")
    _require_manager(actor, refurbisher.pk)
    with transaction.atomic():
        if not donor.is_donor:
            Organisation.objects.filter(pk=donor.pk).update(is_donor=True)
            donor.is_donor = True
        gisement = Gisement(refurbisher=refurbisher, donor=donor, **fields)
        gisement.full_clean()
        gisement.save()
    return gisement


def gisement_update(gisement_id: int, *, actor, **fields) -> Gisement:
    unknown = set(fields) - set(GISEMENT_FIELDS) - {"donor"}
    if unknown:
        raise TypeError(f"Unknown gisement fields: {sorted(unknown)}")
    with transaction.atomic():
        gisement = _lock_gisement(gisement_id)
        _require_manager(actor, gisement.refurbisher_id)
        for name, value in fields.items():
            setattr(gisement, name, value)
        gisement.full_clean()
        gisement.save()
    return gisement


def _lock_gisement(gisement_id: int) -> Gisement:
    try:
        return Gisement.objects.select_for_update().get(pk=gisement_id)
    except Gisement.DoesNotExist:
        raise NotFound(_("Ce gisement n'existe pas.")) from None


# --- conventions --------------------------------------------------------------------------------

CONVENTION_FIELDS = ("status", "signed_on", "expires_on", "document", "notes")


def convention_create(gisement_id: int, *, actor, **fields) -> Convention:
    with transaction.atomic():
        gisement = _lock_gisement(gisement_id)
        _require_manager(actor, gisement.refurbisher_id)
        convention = Convention(gisement=gisement, **_only(fields, CONVENTION_FIELDS))
        convention.full_clean()
        convention.save()
    return convention


def convention_update(convention_id: int, *, actor, **fields) -> Convention:
    with transaction.atomic():
        try:
            convention = (
                Convention.objects.select_for_update()
                .select_related("gisement")
                .get(pk=convention_id)
            )
        except Convention.DoesNotExist:
            raise NotFound(_("Cette convention n'existe pas.")) from None
        _require_manager(actor, convention.gisement.refurbisher_id)
        for name, value in _only(fields, CONVENTION_FIELDS).items():
            if name == "document" and not value:
                continue  # no new file: keep the current one
            setattr(convention, name, value)
        convention.full_clean()
        convention.save()
    return convention


def _only(fields: dict, allowed) -> dict:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown fields: {sorted(unknown)}")
    return fields


# --- donations ----------------------------------------------------------------------------------

DONATION_FIELDS = (
    "pickup_date",
    "pickup_address",
    "received_weight_kg",
    "donor_reference",
    "stated_value",
    "notes",
)


def _lock_donation(donation_id: int) -> Donation:
    try:
        return Donation.objects.select_for_update().select_related("gisement").get(pk=donation_id)
    except Donation.DoesNotExist:
        raise NotFound(_("Ce don n'existe pas.")) from None


def _write_lines(donation: Donation, lines: dict[str, int]) -> dict[str, int]:
    """Replace the declared quantities; kinds with 0 or nothing are dropped."""
    cleaned = {kind: int(qty) for kind, qty in lines.items() if qty}
    for kind, qty in cleaned.items():
        line = DonationLine(donation=donation, kind=kind, quantity=qty)
        line.full_clean(exclude=["donation"], validate_unique=False)
    donation.lines.exclude(kind__in=cleaned).delete()
    for kind, qty in cleaned.items():
        DonationLine.objects.update_or_create(
            donation=donation, kind=kind, defaults={"quantity": qty}
        )
    return cleaned


def donation_create(
    gisement_id: int, *, actor, lines: dict[str, int] | None = None, **fields
) -> Donation:
    """Announce a collection from a gisement, with the quantities the donor declares."""
    fields = _only(fields, DONATION_FIELDS)
    with transaction.atomic():
        gisement = _lock_gisement(gisement_id)
        _require_manager(actor, gisement.refurbisher_id)
        if not fields.get("pickup_address"):
            fields["pickup_address"] = gisement.address
        donation = Donation(gisement=gisement, created_by=actor, **fields)
        donation.full_clean(exclude=["state"])
        donation.save()
        declared = _write_lines(donation, lines or {})
        events.donation_announced(donation, actor, lines=declared)
    return donation


def donation_update(
    donation_id: int, *, actor, lines: dict[str, int] | None = None, **fields
) -> Donation:
    """Correct the details of a donation (not its state); a cancelled donation is frozen."""
    fields = _only(fields, DONATION_FIELDS)
    with transaction.atomic():
        donation = _lock_donation(donation_id)
        _require_manager(actor, donation.gisement.refurbisher_id)
        if donation.state == DonationState.CANCELLED:
            raise TransitionRefused(_("Un don annulé ne se modifie plus."))
        changed = {}
        for name, value in fields.items():
            if getattr(donation, name) != value:
                changed[name] = str(value) if value is not None else ""
                setattr(donation, name, value)
        donation.full_clean(exclude=["state"])
        donation.save()
        written = _write_lines(donation, lines) if lines is not None else None
        events.donation_edited(donation, actor, changed=changed, lines=written)
    return donation


TRANSITIONS = DONATION.transitions


def run_transition(
    donation_id: int,
    name: str,
    actor,
    *,
    expected_state: str | None = None,
    note: str = "",
    data: dict | None = None,
    **kwargs,
) -> DonationEvent:
    """Run one lifecycle transition of a donation, with its event row, atomically."""
    return DONATION.run(
        donation_id, name, actor, expected_state=expected_state, note=note, data=data, **kwargs
    )


def donation_collect(
    donation_id: int,
    actor,
    *,
    pickup_date: dt.date | None = None,
    expected_state: str | None = None,
    note: str = "",
) -> DonationEvent:
    if pickup_date and pickup_date > timezone.localdate():
        raise ValidationError(_("La date d'enlèvement ne peut pas être dans le futur."))
    return run_transition(
        donation_id,
        "collect",
        actor,
        expected_state=expected_state,
        note=note,
        pickup_date=pickup_date,
        data={"pickup_date": pickup_date.isoformat() if pickup_date else ""},
    )


def donation_receive(
    donation_id: int,
    actor,
    *,
    received_on: dt.date,
    weight_kg: Decimal | None = None,
    expected_state: str | None = None,
    note: str = "",
) -> DonationEvent:
    if received_on > timezone.localdate():
        raise ValidationError(_("La date de réception ne peut pas être dans le futur."))
    return run_transition(
        donation_id,
        "receive",
        actor,
        expected_state=expected_state,
        note=note,
        received_on=received_on,
        weight_kg=weight_kg,
        data={
            "received_on": received_on.isoformat(),
            "weight_kg": str(weight_kg) if weight_kg is not None else "",
        },
    )


def donation_close(
    donation_id: int, actor, *, expected_state: str | None = None, note: str = ""
) -> DonationEvent:
    """Sorting is over: every device of the donation is registered."""
    return run_transition(donation_id, "close", actor, expected_state=expected_state, note=note)


def donation_cancel(
    donation_id: int, actor, *, note: str, expected_state: str | None = None
) -> DonationEvent:
    if not note.strip():
        raise ValidationError(_("Indiquez pourquoi le don est annulé."))
    return run_transition(donation_id, "cancel", actor, expected_state=expected_state, note=note)


def donation_document_add(
    donation_id: int, actor, *, kind: str, file, title: str = ""
) -> DonationDocument:
    with transaction.atomic():
        donation = _lock_donation(donation_id)
        _require_manager(actor, donation.gisement.refurbisher_id)
        document = DonationDocument(
            donation=donation, kind=kind, file=file, title=title, uploaded_by=actor
        )
        document.full_clean()
        document.save()
        events.document_attached(donation, actor, document)
    return document


def donation_share_link_revoke(donation_id: int, actor) -> Donation:
    """Invalidate every donor link already sent for this donation."""
    with transaction.atomic():
        donation = _lock_donation(donation_id)
        _require_manager(actor, donation.gisement.refurbisher_id)
        for _attempt in range(3):
            donation.share_key = uuid.uuid4()
            try:
                with transaction.atomic():
                    donation.save(update_fields=["share_key"])
                break
            except IntegrityError:  # pragma: no cover - a UUID4 collision
                continue
        events.share_links_revoked(donation, actor)
    return donation


def donation_share_link_issued(donation_id: int, actor) -> DonationEvent:
    """Record that a donor link was issued (the link itself is computed, not stored)."""
    with transaction.atomic():
        donation = _lock_donation(donation_id)
        _require_manager(actor, donation.gisement.refurbisher_id)
        return events.share_link_issued(donation, actor)
