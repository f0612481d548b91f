"""Use cases of the workshops. One function per use case; views, imports, the demo and the
admin all go through them, so they all behave alike. Refusals raise ``core.errors`` refusals
(NotFound, NotPermitted, InvalidInput, Refused, Changed) whose ``message`` is French and safe
to show.

Seats: ``enrol`` and ``enrolment_cancel`` lock the session row (``select_for_update``) and
count the confirmed enrolments inside the lock, so two people taking the last seat at once
get one seat and one place on the waiting list, never two seats.
"""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from acteurs.models import Household, Membership, Role
from acteurs.permissions import HOUSEHOLD_ROLES, has_role
from acteurs.personal_data import (
    anonymised_refusal,
    household_touch,
    households_touch,
    require_not_anonymised,
)
from core.errors import Changed, InvalidInput, NotFound, NotPermitted, Refused
from parc import selectors as parc_selectors
from parc import services as parc_services
from parc.codes import MistypedCode, NotACode, normalize_code
from parc.models import Device

from . import ords, ords_import, pix
from .models import (
    Assessment,
    AssessmentLevel,
    AssessmentMoment,
    Attendance,
    AutonomySharing,
    Enrolment,
    EnrolmentStatus,
    Repair,
    RepairImport,
    Session,
    WorkshopType,
)
from .permissions import TEAM_ROLES, is_team, team_organisation_ids


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y à %H:%M").replace(":", " h ", 1)


def _day(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y")


# --- sessions ---------------------------------------------------------------------------------

MAX_CAPACITY = 500


def _check_session_fields(
    *, actor, organisation, workshop_type, facilitator, starts_at, ends_at, capacity, now
) -> None:
    if not is_team(actor, organisation.pk):
        raise NotPermitted(_("Vous ne pouvez pas organiser de séance pour cette organisation."))
    if not workshop_type.is_active:
        raise Refused(_("Ce type d'atelier n'est plus proposé."))
    if starts_at <= now:
        raise InvalidInput(
            _("Une séance ne peut pas commencer dans le passé (début le %(start)s).")
            % {"start": _local(starts_at)}
        )
    if ends_at <= starts_at:
        raise InvalidInput(_("La fin de la séance doit suivre son début."))
    if not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidInput(
            _("Le nombre de places doit être compris entre 1 et %(max)d.") % {"max": MAX_CAPACITY}
        )
    if not Membership.objects.filter(
        user=facilitator, organisation=organisation, role__in=TEAM_ROLES
    ).exists():
        raise InvalidInput(
            _("%(person)s n'anime pas d'atelier pour %(organisation)s.")
            % {"person": facilitator, "organisation": organisation}
        )


def session_create(
    *,
    actor,
    workshop_type: WorkshopType,
    organisation,
    commune,
    address: str,
    starts_at: datetime,
    ends_at: datetime,
    facilitator,
    capacity: int,
    accessibility: str = "",
    title: str = "",
) -> Session:
    """Plan a session. It starts in the future; its facilitator belongs to the organisation."""
    now = timezone.now()
    _check_session_fields(
        actor=actor,
        organisation=organisation,
        workshop_type=workshop_type,
        facilitator=facilitator,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        now=now,
    )
    session = Session(
        workshop_type=workshop_type,
        title=title,
        organisation=organisation,
        commune=commune,
        address=address,
        starts_at=starts_at,
        ends_at=ends_at,
        facilitator=facilitator,
        capacity=capacity,
        accessibility=accessibility,
        created_by=actor,
        created_at=now,
    )
    session.full_clean()
    session.save()
    return session


def _lock_session(session_id: int) -> Session:
    try:
        return (
            Session.objects.select_for_update()
            .select_related("workshop_type", "organisation")
            .get(pk=session_id)
        )
    except Session.DoesNotExist:
        raise NotFound(_("Cette séance n'existe pas.")) from None


def session_update(session_id: int, *, actor, **fields) -> Session:
    """Change a session that has not ended. More seats move the waiting list up; fewer seats
    than confirmed enrolments are refused."""
    allowed = {
        "title",
        "commune",
        "address",
        "starts_at",
        "ends_at",
        "facilitator",
        "capacity",
        "accessibility",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Unknown session fields: {sorted(unknown)}")
    now = timezone.now()
    with transaction.atomic():
        session = _lock_session(session_id)
        if not is_team(actor, session.organisation_id):
            raise NotPermitted(_("Vous ne pouvez pas modifier cette séance."))
        if session.has_ended(now):
            raise Refused(_("Cette séance est terminée : elle ne peut plus être modifiée."))
        starts_at = fields.get("starts_at", session.starts_at)
        if starts_at != session.starts_at and starts_at <= now:
            raise InvalidInput(_("Une séance ne peut pas être déplacée dans le passé."))
        ends_at = fields.get("ends_at", session.ends_at)
        if ends_at <= starts_at:
            raise InvalidInput(_("La fin de la séance doit suivre son début."))
        capacity = fields.get("capacity", session.capacity)
        if not 1 <= capacity <= MAX_CAPACITY:
            raise InvalidInput(
                _("Le nombre de places doit être compris entre 1 et %(max)d.")
                % {"max": MAX_CAPACITY}
            )
        confirmed = session.enrolments.filter(status=EnrolmentStatus.CONFIRMED).count()
        if capacity < confirmed:
            raise Refused(
                _(
                    "%(n)d foyers sont déjà inscrits : annulez des inscriptions avant de "
                    "réduire le nombre de places à %(capacity)d."
                )
                % {"n": confirmed, "capacity": capacity}
            )
        facilitator = fields.get("facilitator", session.facilitator)
        if not Membership.objects.filter(
            user=facilitator, organisation_id=session.organisation_id, role__in=TEAM_ROLES
        ).exists():
            raise InvalidInput(
                _("%(person)s n'anime pas d'atelier pour %(organisation)s.")
                % {"person": facilitator, "organisation": session.organisation}
            )
        for name, value in fields.items():
            setattr(session, name, value)
        session.full_clean()
        session.save()
        _promote_waiting(session, capacity - confirmed, now)
        return session


# --- enrolments -------------------------------------------------------------------------------


def _can_see_household(actor, household: Household) -> bool:
    return has_role(actor, household.organisation_id, HOUSEHOLD_ROLES)


def enrol(session_id: int, household_id: int, *, actor) -> Enrolment:
    """Enrol a household: a seat if one is left, else the waiting list (first come, first
    served). The actor must see the household (their own organisation's)."""
    now = timezone.now()
    with transaction.atomic():
        session = _lock_session(session_id)
        household = Household.objects.filter(pk=household_id).first()
        if household is None or not _can_see_household(actor, household):
            raise NotFound(_("Ce foyer n'existe pas."))
        require_not_anonymised(household.pk)
        if session.workshop_type.is_repair:
            raise Refused(_("On ne s'inscrit pas à un atelier de réparation : venez avec l'objet."))
        if session.has_ended(now):
            raise Refused(_("Cette séance est terminée : les inscriptions sont closes."))
        existing = (
            session.enrolments.filter(
                household=household,
                status__in=[EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITING],
            )
            .only("status")
            .first()
        )
        if existing is not None:
            raise Refused(_already_enrolled(household, existing.status))
        confirmed = session.enrolments.filter(status=EnrolmentStatus.CONFIRMED).count()
        status = (
            EnrolmentStatus.CONFIRMED if confirmed < session.capacity else EnrolmentStatus.WAITING
        )
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(
                    session=session,
                    household=household,
                    status=status,
                    enrolled_by=actor,
                    enrolled_at=now,
                )
        except IntegrityError:
            # Two people enrolling the same household at the same moment: the database's
            # unique constraint lets one through.
            raise Refused(_already_enrolled(household, None)) from None
        household_touch(household.pk, at=now)
        return enrolment


def _already_enrolled(household, status) -> str:
    if status == EnrolmentStatus.WAITING:
        return _("%(name)s est déjà sur la liste d'attente de cette séance.") % {
            "name": household.name
        }
    return _("%(name)s est déjà inscrit à cette séance.") % {"name": household.name}


def enrolment_cancel(enrolment_id: int, *, actor) -> Enrolment | None:
    """Cancel an enrolment before the session starts; the first on the waiting list takes
    the freed seat (its prescriber gets an e-mail). Returns the promoted enrolment, if any."""
    now = timezone.now()
    with transaction.atomic():
        session_id = (
            Enrolment.objects.filter(pk=enrolment_id).values_list("session_id", flat=True).first()
        )
        if session_id is None:
            raise NotFound(_("Cette inscription n'existe pas."))
        session = _lock_session(session_id)  # the session first: same order as enrol()
        enrolment = (
            Enrolment.objects.select_for_update().select_related("household").get(pk=enrolment_id)
        )
        if not (
            _can_see_household(actor, enrolment.household)
            or is_team(actor, session.organisation_id)
        ):
            raise NotFound(_("Cette inscription n'existe pas."))
        if enrolment.status == EnrolmentStatus.CANCELLED:
            raise Refused(_("Cette inscription est déjà annulée."))
        if session.has_started(now):
            raise Refused(_("La séance a commencé : notez plutôt le foyer absent ou excusé."))
        was_confirmed = enrolment.status == EnrolmentStatus.CONFIRMED
        enrolment.status = EnrolmentStatus.CANCELLED
        enrolment.cancelled_at = now
        enrolment.cancelled_by = actor
        enrolment.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        if not was_confirmed:
            return None
        promoted = _promote_waiting(session, 1, now)
        return promoted[0] if promoted else None


def _promote_waiting(session: Session, seats: int, now) -> list[Enrolment]:
    """Move the first ``seats`` households of the waiting list up. Caller holds the lock."""
    if seats <= 0:
        return []
    promoted = list(
        session.enrolments.filter(status=EnrolmentStatus.WAITING)
        .select_related("household", "enrolled_by")
        .order_by("enrolled_at", "id")[:seats]
    )
    for enrolment in promoted:
        enrolment.status = EnrolmentStatus.CONFIRMED
        enrolment.promoted_at = now
        enrolment.save(update_fields=["status", "promoted_at"])
        transaction.on_commit(_promotion_mail(session, enrolment))
    return promoted


def _promotion_mail(session: Session, enrolment: Enrolment):
    recipient = enrolment.enrolled_by.email
    subject = _("Place libérée : %(household)s est inscrit à « %(session)s »") % {
        "household": enrolment.household.name,
        "session": session.display_title,
    }
    body = _(
        "Bonjour,\n\n"
        "Une place s'est libérée : %(household)s, que vous aviez inscrit sur liste "
        "d'attente, est maintenant inscrit à la séance « %(session)s » du %(when)s "
        "(%(address)s, %(organisation)s).\n\n"
        "Merci de le prévenir. S'il ne peut plus venir, annulez son inscription dans "
        "Filière pour laisser la place au suivant.\n\n"
        "%(url)s\n"
    ) % {
        "household": enrolment.household.name,
        "session": session.display_title,
        "when": _local(session.starts_at),
        "address": session.address,
        "organisation": session.organisation.name,
        "url": f"{settings.SITE_BASE_URL}/ateliers/seances/{session.pk}/",
    }

    def send():
        if recipient:
            send_mail(subject, body, None, [recipient], fail_silently=True)

    return send


# --- attendance -------------------------------------------------------------------------------


def attendance_record(session_id: int, *, actor, marks: dict[int, str]) -> int:
    """Record present / absent / excused for confirmed enrolments, once the session has
    started. ``marks`` maps enrolment ids to an Attendance value ("" clears it). Returns
    the number of enrolments changed."""
    now = timezone.now()
    valid = set(Attendance.values) | {""}
    with transaction.atomic():
        session = _lock_session(session_id)
        if not is_team(actor, session.organisation_id):
            raise NotPermitted(_("Seule l'équipe de l'atelier note les présences."))
        if not session.has_started(now):
            raise Refused(
                _(
                    "La séance n'a pas encore commencé (début le %(start)s) : les présences se "
                    "notent pendant ou après la séance."
                )
                % {"start": _local(session.starts_at)}
            )
        if any(value not in valid for value in marks.values()):
            raise InvalidInput(_("Présence inconnue : présent, absent ou excusé."))
        enrolments = {
            e.pk: e
            for e in session.enrolments.select_for_update().filter(
                pk__in=list(marks), status=EnrolmentStatus.CONFIRMED
            )
        }
        if set(marks) - set(enrolments):
            raise Changed(
                _(
                    "Une des personnes n'est pas (ou plus) inscrite à cette séance. "
                    "Rechargez la page."
                )
            )
        changed = []
        for pk, value in marks.items():
            enrolment = enrolments[pk]
            if enrolment.attendance == value:
                continue
            enrolment.attendance = value
            enrolment.attendance_by = actor
            enrolment.attendance_at = now
            changed.append(enrolment)
        # An anonymised household's attendance is final too (the sheet may still list it).
        if Household.objects.filter(
            pk__in=[e.household_id for e in changed], anonymisation__isnull=False
        ).exists():
            raise anonymised_refusal()
        Enrolment.objects.bulk_update(changed, ["attendance", "attendance_by", "attendance_at"])
        present = [e.household_id for e in changed if e.attendance == Attendance.PRESENT]
        if present:
            households_touch(present, at=now)
        return len(changed)


# --- assessments ------------------------------------------------------------------------------


def assessment_record(
    *,
    actor,
    household_id: int,
    moment: str,
    levels: dict[str, int],
    assessed_on: date | None = None,
    session_id: int | None = None,
) -> Assessment:
    """Record an autonomy assessment: one level for each of the five PIX domains.

    From a session: the actor runs that session's workshops and the household is enrolled.
    Otherwise: the actor sees the household (their own organisation's).
    """
    now = timezone.now()
    assessed_on = assessed_on or timezone.localdate(now)
    if assessed_on > timezone.localdate(now):
        raise InvalidInput(_("La date de l'évaluation ne peut pas être dans le futur."))
    missing = [code for code in pix.DOMAIN_CODES if code not in levels]
    if missing or set(levels) - set(pix.DOMAIN_CODES):
        raise InvalidInput(_("Indiquez un niveau pour chacun des 5 domaines PIX."))
    if any(level not in pix.Level.values for level in levels.values()):
        raise InvalidInput(_("Niveau inconnu : avec aide, sans aide ou en autonomie."))
    household = Household.objects.filter(pk=household_id).first()
    if household is None:
        raise NotFound(_("Ce foyer n'existe pas."))
    require_not_anonymised(household.pk)
    session = None
    if session_id is not None:
        session = Session.objects.filter(pk=session_id).first()
        if session is None or not is_team(actor, session.organisation_id):
            raise NotFound(_("Cette séance n'existe pas."))
        if not session.enrolments.filter(
            household=household, status=EnrolmentStatus.CONFIRMED
        ).exists():
            raise Refused(
                _("%(name)s n'est pas inscrit à cette séance.") % {"name": household.name}
            )
        organisation_id = session.organisation_id
    else:
        if not _can_see_household(actor, household):
            raise NotFound(_("Ce foyer n'existe pas."))
        organisation_id = household.organisation_id
    if moment not in AssessmentMoment.values:
        raise InvalidInput(_("Moment inconnu : avant ou après la formation."))
    with transaction.atomic():
        assessment = Assessment.objects.create(
            household=household,
            organisation_id=organisation_id,
            session=session,
            moment=moment,
            assessed_on=assessed_on,
            assessed_by=actor,
            recorded_at=now,
        )
        AssessmentLevel.objects.bulk_create(
            AssessmentLevel(assessment=assessment, domain=domain, level=level)
            for domain, level in sorted(levels.items())
        )
        household_touch(household.pk, at=now)
    return assessment


# --- repairs ----------------------------------------------------------------------------------

MIN_YEAR = ords.MIN_YEAR


def _check_year(year: int | None, event_date: date) -> None:
    if year is not None and not MIN_YEAR <= year <= event_date.year:
        raise InvalidInput(
            _("Année de fabrication invalide : entre %(min)d et %(max)d.")
            % {"min": MIN_YEAR, "max": event_date.year}
        )


def _product_age(year: int | None, event_date: date) -> Decimal | None:
    return None if year is None else Decimal(event_date.year - year)


def _check_outcome(status: str, barrier: str) -> None:
    if status not in ords.LOCAL_STATUSES:
        raise InvalidInput(_("Résultat inconnu : réparé, réparable ou fin de vie."))
    if status == ords.RepairStatus.END_OF_LIFE and not barrier:
        raise InvalidInput(_("Fin de vie : indiquez ce qui a empêché la réparation."))
    if barrier and status != ords.RepairStatus.END_OF_LIFE:
        raise InvalidInput(_("L'obstacle à la réparation ne s'indique qu'en fin de vie."))
    if barrier and barrier not in ords.RepairBarrier.values:
        raise InvalidInput(_("Obstacle à la réparation inconnu."))


def repair_record(
    session_id: int,
    *,
    actor,
    status: str,
    device_code: str = "",
    product_category_id: int | None = None,
    brand: str = "",
    year_of_manufacture: int | None = None,
    problem: str = "",
    barrier: str = "",
    parts_used: str = "",
    minutes_spent: int | None = None,
    weight_kg: Decimal | None = None,
) -> Repair:
    """Record one item brought to a repair session.

    With ``device_code`` (a pool device's label, typed or scanned), the repair joins the
    device's history: a "repair" event in the same transaction, the device's state unchanged.
    """
    now = timezone.now()
    _check_outcome(status, barrier)
    with transaction.atomic():
        session = _lock_session(session_id)
        if not is_team(actor, session.organisation_id):
            raise NotPermitted(_("Seule l'équipe de l'atelier enregistre les réparations."))
        if not session.workshop_type.is_repair:
            raise Refused(_("Les réparations s'enregistrent lors d'un atelier de réparation."))
        if not session.has_started(now):
            raise Refused(
                _(
                    "La séance n'a pas encore commencé : les réparations s'enregistrent pendant "
                    "ou après la séance."
                )
            )
        event_date = timezone.localdate(session.starts_at)
        _check_year(year_of_manufacture, event_date)
        device = None
        if device_code.strip():
            device = _repair_device(device_code, session)
            category = product_category_id or ords.CATEGORY_BY_DEVICE_KIND.get(
                device.kind, ords.MISC
            )
            brand = brand or device.brand
            partner_category = str(device.get_kind_display())
        else:
            if product_category_id is None:
                raise InvalidInput(
                    _("Indiquez la catégorie de l'objet, ou le code d'un appareil du parc.")
                )
            category = product_category_id
            partner_category = ""
        if category not in ords.categories():
            raise InvalidInput(_("Catégorie de produit inconnue."))
        if weight_kg is not None and not Decimal("0") < weight_kg < Decimal("1000"):
            raise InvalidInput(_("Poids invalide (en kg, entre 0 et 1 000)."))
        repair = Repair(
            organisation_id=session.organisation_id,
            session=session,
            device=device,
            product_category_id=category,
            partner_category=partner_category,
            brand=brand,
            year_of_manufacture=year_of_manufacture,
            product_age=_product_age(year_of_manufacture, event_date),
            weight_kg=weight_kg,
            problem=problem,
            status=status,
            barrier=barrier,
            parts_used=parts_used,
            minutes_spent=minutes_spent,
            event_date=event_date,
            recorded_by=actor,
            recorded_at=now,
        )
        repair.full_clean()
        repair.save()
        if device is not None:
            # The device's own history, written by the pool (its row locked, its state
            # checked again): a refusal there rolls the repair back.
            parc_services.device_repair_record(
                device.pk,
                actor,
                organisation_id=session.organisation_id,
                repair_id=repair.pk,
                session_id=session.pk,
                status=repair.status,
                barrier=repair.barrier,
                note=_repair_note(session, repair),
                at=now,
            )
        return repair


def _repair_device(raw_code: str, session: Session) -> Device:
    """The organisation's device with this label code (read; the pool locks it when the repair
    joins its history)."""
    try:
        code = normalize_code(raw_code)
    except MistypedCode:
        raise InvalidInput(
            _(
                "Code « %(code)s » mal saisi : vérifiez-le (le dernier caractère est une clé de "
                "contrôle)."
            )
            % {"code": raw_code.strip()},
            field="device_code",
        ) from None
    except NotACode:
        raise InvalidInput(
            _("« %(code)s » n'est pas un code d'appareil Filière (ex. FIL-7K3QX9A).")
            % {"code": raw_code.strip()},
            field="device_code",
        ) from None
    device = parc_selectors.device_of_organisation(session.organisation_id, code)
    if device is None:
        raise NotFound(
            _("Aucun appareil de %(organisation)s ne porte le code %(code)s.")
            % {"organisation": session.organisation.name, "code": code}
        )
    # Whether it can still be repaired is the pool's rule (parc.services.device_repair_record).
    return device


def _repair_note(session: Session, repair: Repair) -> str:
    note = _("Atelier de réparation du %(date)s : %(status)s") % {
        "date": _day(session.starts_at),
        "status": repair.get_status_display(),
    }
    if repair.barrier:
        note += f" ({repair.get_barrier_display()})"
    if repair.problem:
        note += "\n" + _("Panne : %(problem)s") % {"problem": repair.problem}
    if repair.parts_used:
        note += "\n" + _("Pièces : %(parts)s") % {"parts": repair.parts_used}
    return note


# --- ORDS import ------------------------------------------------------------------------------


def repairs_import_preview(*, actor, organisation, upload) -> RepairImport:
    """Stage another repair café's ORDS file and check every row; nothing is imported yet.

    Raises ``NotPermitted`` outside the organisation's team, ``ords_csv.OrdsFileError`` (an
    ``InvalidInput``) when the file as a whole is not ORDS."""
    if not is_team(actor, organisation.pk):
        raise NotPermitted(
            _("Vous ne pouvez pas importer de réparations pour cette organisation."),
            code="ords_import_not_permitted",
        )
    ords_import.discard_stale_previews(organisation)
    batch = ords_import.start(organisation=organisation, actor=actor, filename=upload.name)
    upload.seek(0)
    return ords_import.preview(batch, upload.file)


def repairs_import_confirm(*, actor, batch_pk: int) -> RepairImport:
    """Import the valid rows of a previewed file, every one or none (one transaction)."""
    return ords_import.import_valid_rows(
        batch_pk, actor=actor, organisation_ids=team_organisation_ids(actor)
    )


# --- sharing the autonomy level with another organisation (issue 15) --------------------------

# Who records (and withdraws) a household's consent to share: its own organisation's
# prescribers, staff and admins (the household's facilitators run workshops, they do not
# prescribe).
SHARING_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.PRESCRIBER})


def may_record_sharing(actor, household: Household) -> bool:
    return has_role(actor, household.organisation_id, SHARING_ROLES)


def autonomy_sharing_grant(household_id: int, organisation_id: int, *, actor) -> AutonomySharing:
    """Record the household's consent that the facilitators of ``organisation_id`` see its
    latest autonomy level. Refused: another organisation's household (``NotPermitted``), the
    household's own organisation or one that runs no workshop, consent already recorded
    (``sharing_exists``), an anonymised household."""
    with transaction.atomic():
        household = Household.objects.select_for_update().filter(pk=household_id).first()
        if household is None:
            raise NotFound(_("Ce foyer n'existe pas."))
        if not has_role(actor, household.organisation_id, SHARING_ROLES):
            raise NotPermitted(
                _("Seule la structure du foyer note son accord pour partager son niveau.")
            )
        require_not_anonymised(household.pk)
        if organisation_id == household.organisation_id:
            raise InvalidInput(
                _("Votre structure voit déjà ce niveau : choisissez une autre organisation."),
                field="organisation",
            )
        if not Session.objects.filter(organisation_id=organisation_id).exists():
            raise InvalidInput(_("Cette organisation n'anime pas d'atelier."), field="organisation")
        if AutonomySharing.objects.filter(
            household=household, organisation_id=organisation_id, withdrawn_at__isnull=True
        ).exists():
            raise Refused(
                _("L'accord du foyer pour cette organisation est déjà noté."),
                code="sharing_exists",
                field="organisation",
            )
        try:
            with transaction.atomic():
                sharing = AutonomySharing.objects.create(
                    household=household, organisation_id=organisation_id, granted_by=actor
                )
        except IntegrityError:
            raise Refused(
                _("L'accord du foyer pour cette organisation est déjà noté."),
                code="sharing_exists",
                field="organisation",
            ) from None
        household_touch(household.pk)
        return sharing


def autonomy_sharing_withdraw(sharing_id: int, *, actor) -> AutonomySharing:
    """The household withdraws its consent: its level is hidden again from that
    organisation at once. The row stays, with who noted the withdrawal and when."""
    with transaction.atomic():
        sharing = (
            AutonomySharing.objects.select_for_update()
            .select_related("household")
            .filter(pk=sharing_id)
            .first()
        )
        if sharing is None:
            raise NotFound(_("Ce partage n'existe pas."))
        if not has_role(actor, sharing.household.organisation_id, SHARING_ROLES):
            raise NotPermitted(_("Seule la structure du foyer note le retrait de son accord."))
        if sharing.withdrawn_at is not None:
            raise Refused(
                _("Cet accord a déjà été retiré le %(d)s.")
                % {"d": timezone.localtime(sharing.withdrawn_at).strftime("%d/%m/%Y")},
                code="sharing_withdrawn",
            )
        sharing.withdrawn_at = timezone.now()
        sharing.withdrawn_by = actor
        sharing.save(update_fields=["withdrawn_at", "withdrawn_by"])
        return sharing
