"""Use cases of gisements and donations. One function per use case; views, admin, imports and
commands all call them, so they all behave alike: open a transaction, lock the row, check the
state the user saw, check permission, change the row, write the event.

Staff and admins of the refurbishing organisation manage its gisements and donations;
technicians and the coordination read them (dons/selectors.py).
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, has_transition_perm

from acteurs.models import Organisation
from acteurs.permissions import (
    POOL_MANAGER_ROLES,
    POOL_ROLES,
    has_role,
    is_coordinator,
    organisations_with_role,
)

from .models import (
    Convention,
    Donation,
    DonationDocument,
    DonationEvent,
    DonationLine,
    DonationState,
    Gisement,
)


class DonationActionError(Exception):
    """An action was refused; ``message`` is French and safe to show to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ActionNotPermitted(DonationActionError):
    pass


class TransitionRefused(DonationActionError):
    pass


class DonationChanged(DonationActionError):
    """Someone else changed the donation between the moment the user saw it and now."""


# --- permissions ------------------------------------------------------------------------------


def can_read(user) -> bool:
    """Members of a refurbishing organisation's pool (and the coordination) see gisements and
    donations; prescribers, facilitators and funders do not."""
    # The roles are cached per request; the coordinator check may cost a query: asked last.
    return bool(organisations_with_role(user, POOL_ROLES)) or is_coordinator(user)


def can_manage(user, refurbisher_id: int) -> bool:
    """Staff and admins of the refurbishing organisation (and superusers)."""
    return user.is_superuser or has_role(user, refurbisher_id, POOL_MANAGER_ROLES)


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
        raise DonationActionError(_("Ce gisement n'existe pas.")) from None


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
            raise DonationActionError(_("Cette convention n'existe pas.")) from None
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
        raise DonationActionError(_("Ce don n'existe pas.")) from None


def _event(donation: Donation, action: str, actor, note: str = "", data=None) -> DonationEvent:
    return DonationEvent.objects.create(
        donation=donation,
        action=action,
        source_state=donation.state,
        target_state=donation.state,
        actor=actor,
        note=note,
        data=data or {},
    )


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
        DonationEvent.objects.create(
            donation=donation,
            action="announce",
            source_state="",
            target_state=donation.state,
            actor=actor,
            data={"lines": declared},
        )
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
        data = {"changed": changed}
        if lines is not None:
            data["lines"] = _write_lines(donation, lines)
        _event(donation, "edit", actor, data=data)
    return donation


@dataclass(frozen=True)
class TransitionInfo:
    name: str
    label: str
    sources: frozenset


def _transitions_by_name() -> dict[str, TransitionInfo]:
    infos: dict[str, dict] = {}
    for t in Donation._meta.get_field("state").get_all_transitions(Donation):
        info = infos.setdefault(
            t.name, {"label": str(t.custom.get("label", t.name)), "sources": set()}
        )
        info["sources"].add(t.source)
    return {
        name: TransitionInfo(name, i["label"], frozenset(i["sources"])) for name, i in infos.items()
    }


TRANSITIONS = _transitions_by_name()
# In lifecycle order, as buttons on the donation page.
TRANSITION_ORDER = ("collect", "receive", "close", "cancel")


def _state_label(state: str) -> str:
    return str(DonationState(state).label)


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
    info = TRANSITIONS.get(name)
    if info is None:
        raise TransitionRefused(_("Action inconnue."))
    with transaction.atomic():
        donation = _lock_donation(donation_id)
        _require_manager(actor, donation.gisement.refurbisher_id)
        if expected_state and donation.state != expected_state:
            raise DonationChanged(
                _(
                    "Le don a changé entre-temps : il est maintenant « %(state)s ». "
                    "Rechargez la page avant d'agir."
                )
                % {"state": _state_label(donation.state)}
            )
        if donation.state not in info.sources:
            raise TransitionRefused(
                _("Action « %(action)s » impossible : le don est « %(state)s ».")
                % {"action": info.label, "state": _state_label(donation.state)}
            )
        method = getattr(donation, name)
        if not has_transition_perm(method, actor):
            raise ActionNotPermitted(
                _("Votre rôle ne permet pas l'action « %(action)s ».") % {"action": info.label}
            )
        source = donation.state
        try:
            method(**kwargs)
            donation.full_clean(exclude=["state"])
            return donation.save_transition(
                action=name, source=source, actor=actor, note=note, data=data
            )
        except TransitionNotAllowed:
            raise TransitionRefused(
                _("Action « %(action)s » impossible.") % {"action": info.label}
            ) from None
        except ConcurrentTransition:
            raise DonationChanged(
                _("Le don a changé entre-temps. Rechargez la page avant d'agir.")
            ) from None


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
        _event(
            donation,
            "document",
            actor,
            note=str(document),
            data={"document_id": document.pk, "kind": kind},
        )
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
        _event(donation, "revoke_links", actor)
    return donation


def donation_share_link_issued(donation_id: int, actor) -> DonationEvent:
    """Record that a donor link was issued (the link itself is computed, not stored)."""
    with transaction.atomic():
        donation = _lock_donation(donation_id)
        _require_manager(actor, donation.gisement.refurbisher_id)
        return _event(donation, "share_link", actor)
