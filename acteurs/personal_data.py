"""A household's personal data, wherever the apps keep it: the registry, and the services that
export it (right of access), erase it on request (right to erasure), anonymise it after the
retention delay, replay an anonymisation after a restore — and the touch that restarts the
delay, and the refusal every service gives an anonymised household.

``acteurs`` owns the household (floor 1); the apps above keep rows about it (requests,
loans, return notes, workshop enrolments, autonomy assessments…) that ``acteurs`` may not
import. Each app declares them here from its ``AppConfig.ready()``, as Wagtail's hooks do::

    personal_data.register(PersonalDataSource(
        name="prets", label=..., describe=..., export=..., anonymise=..., ...))

The services then reach every copy: the export has a section per source, the anonymisation
calls every source's ``anonymise`` (free text in append-only histories through the kernel's
audited ``redact``), and the record of processing (``acteurs.privacy``) lists every source's
purposes, data, retention and recipients. ``tests/acteurs/test_personal_data_registry.py``
checks that every text column of every table linked to a household is declared.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import NotFound, NotPermitted, Refused

from .consent import consent_text
from .models import AnonymisationReason, Household, HouseholdAnonymisation, Role
from .permissions import has_role

ANONYMOUS_NAME = "Foyer anonymisé"
# Who exports or erases a household's data: those who follow it in its organisation.
HOUSEHOLD_DATA_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.PRESCRIBER})
# What a scrubbed admin log entry says instead of the household's words.
SCRUBBED = "[anonymisé]"


# --- what a source declares ----------------------------------------------------------------


class Category:
    """Categories of personal data, as the record of processing names them."""

    IDENTITY = gettext_lazy("identité et coordonnées")
    SITUATION = gettext_lazy("situation du foyer (catégories de public, taille, commune)")
    ELIGIBILITY = gettext_lazy("éligibilité (critère, type de justificatif vu, validité)")
    EQUIPMENT = gettext_lazy("équipement demandé, prêté ou acheté")
    TRAINING = gettext_lazy("ateliers suivis et niveaux d'autonomie numérique")
    FREE_TEXT = gettext_lazy("texte libre saisi par un intervenant")
    TRACE = gettext_lazy("traces d'accès et d'administration")


ERASED = gettext_lazy("effacé")
KEPT = gettext_lazy("conservé")


@dataclass(frozen=True)
class PersonalDataField:
    """One column that can hold a household's personal data, and what anonymisation does to it.

    ``model`` is ``"app_label.ModelName"``; ``field`` a column (``"data.damage"`` for a key of a
    JSON column). A column ``kept`` says why (``kept_because``: a legal obligation)."""

    model: str
    field: str
    category: str
    free_text: bool = False
    kept: bool = False
    kept_because: str = ""

    @property
    def outcome(self) -> str:
        return str(KEPT if self.kept else ERASED)


@dataclass(frozen=True)
class Description:
    """What a source tells the record of processing (registre des traitements)."""

    purpose: str
    legal_basis: str
    retention: str
    recipients: str
    fields: tuple[PersonalDataField, ...]


@dataclass(frozen=True)
class Anonymisation:
    """What a source's ``anonymise`` receives: the household as it was, why, by whom."""

    household_id: int
    name: str
    phone: str
    email: str
    reason: str
    actor: object
    # The reason written on the kernel's redaction trail (core.Redaction): no personal data.
    why: str

    @property
    def strings(self) -> list[str]:
        """The household's own words to look for in free text typed by anyone: its name, its
        e-mail and its phone as typed and as people write it again (digits only, in pairs),
        and as a JSON column stores them (non-ASCII letters escaped)."""
        found = [self.name, self.email, self.phone]
        digits = "".join(char for char in self.phone if char.isdigit())
        if digits:
            found += [digits, " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))]
            found += [".".join(digits[i : i + 2] for i in range(0, len(digits), 2))]
        found += [json.dumps(text)[1:-1] for text in list(found)]
        # Too short to be told apart from ordinary words: not looked for.
        return sorted({text.strip() for text in found if len(text.strip()) >= 4})


def _nothing(_household) -> list:
    return []


@dataclass(frozen=True)
class PersonalDataSource:
    """What one app keeps about households.

    - ``describe()``: its purposes, legal basis, retention, recipients and columns;
    - ``export(household)``: a dict of sections (French keys) merged into the export;
    - ``anonymise(anonymisation)``: erase or redact its copies (inside the caller's
      transaction; append-only histories through ``core.events``' ``redact``);
    - ``objects(household)``: querysets of its rows about the household (their entries in
      the Django admin's log are scrubbed);
    - ``blocks_erasure(household)``: a French reason the data must stay for now (an open
      loan), or None; ``exclude_blocked(households)``: the same as a queryset filter, for the
      scheduled anonymisation;
    - ``purge()``: its own retention purge (old buyers' names), run with the anonymisation.
    """

    name: str
    label: str
    describe: Callable[[], Description]
    export: Callable[[Household], dict]
    anonymise: Callable[[Anonymisation], None]
    objects: Callable[[Household], Iterable[QuerySet]] = _nothing
    blocks_erasure: Callable[[Household], str | None] | None = None
    exclude_blocked: Callable[[QuerySet], QuerySet] | None = None
    purge: Callable[[], int] | None = None
    order: int = field(default=100)


_sources: dict[str, PersonalDataSource] = {}


def register(source: PersonalDataSource) -> None:
    """Declare (or replace, by name) what an app keeps about households."""
    _sources[source.name] = source


def sources() -> list[PersonalDataSource]:
    return sorted(_sources.values(), key=lambda source: (source.order, source.name))


def declared_fields() -> list[PersonalDataField]:
    return [item for source in sources() for item in source.describe().fields]


# --- the refusal every service gives an anonymised household --------------------------------


class HouseholdAnonymised(Refused):
    code = "household_anonymised"


def anonymised_refusal() -> HouseholdAnonymised:
    return HouseholdAnonymised(
        _(
            "Les données de ce foyer ont été effacées : il ne peut plus être modifié, inscrit, "
            "suivi ni équipé. Enregistrez-le à nouveau s'il revient, avec son accord."
        )
    )


def is_anonymised(household_id: int) -> bool:
    return HouseholdAnonymisation.objects.filter(household_id=household_id).exists()


def require_not_anonymised(household_id: int) -> None:
    """Refuse (code ``household_anonymised``) any use of an anonymised household: anonymised
    is final, for every service of every app."""
    if is_anonymised(household_id):
        raise anonymised_refusal()


def household_touch(household_id: int, *, at: dt.datetime | None = None) -> None:
    """A contact with the household: its retention delay starts again. An anonymised
    household is not touched (a device it returns late does not bring it back)."""
    Household.objects.filter(pk=household_id, anonymisation__isnull=True).update(
        last_contact_at=at or timezone.now()
    )


def households_touch(household_ids: Iterable[int], *, at: dt.datetime | None = None) -> None:
    Household.objects.filter(pk__in=list(household_ids), anonymisation__isnull=True).update(
        last_contact_at=at or timezone.now()
    )


# --- export (right of access, RGPD art. 15) ---------------------------------------------------


def _household_for_data_rights(household_id: int, actor) -> Household:
    household = (
        Household.objects.select_related("commune", "organisation", "anonymisation")
        .filter(pk=household_id)
        .first()
    )
    if household is None:
        raise NotFound(_("Ce foyer n'existe pas."))
    if not has_role(actor, household.organisation_id, HOUSEHOLD_DATA_ROLES):
        raise NotPermitted(_("Ce foyer n'est pas suivi par votre organisation."))
    return household


def may_exercise_rights(user, household: Household) -> bool:
    """Whether the user exports or erases this household's data (its organisation's admins,
    staff and prescribers)."""
    return has_role(user, household.organisation_id, HOUSEHOLD_DATA_ROLES)


def household_export(household_id: int, actor) -> dict:
    """Everything Filière holds about a household: a section per source of the registry."""
    household = _household_for_data_rights(household_id, actor)
    if household.is_anonymised:
        raise anonymised_refusal()
    exported: dict = {}
    for source in sources():
        for key, section in source.export(household).items():
            if key in exported:
                raise KeyError(f"Two personal-data sources export the section {key!r}.")
            exported[key] = section
    return exported


def day(value) -> str | None:
    """Dates and moments in exports: ISO 8601."""
    return value.isoformat() if value else None


def export_household_fields(household: Household) -> dict:
    """acteurs' own section: the household and what it was told."""
    return {
        "foyer": {
            "nom": household.name,
            "telephone": household.phone,
            "courriel": household.email,
            "commune": household.commune.name,
            "personnes": household.size,
            "situation": household.category_labels,
            "organisation": household.organisation.name,
            "information": {
                "le": day(household.consent_at),
                "version": household.consent_version,
                "texte": consent_text(household.consent_version, household.organisation.name),
            },
            "cree_le": day(household.created_at),
            "dernier_contact": day(household.last_contact_at),
        }
    }


# --- anonymisation -----------------------------------------------------------------------------


def _anonymise(household: Household, reason: str, actor) -> None:
    """Erase the household's personal data from every copy the registry knows (inside the
    caller's transaction, the household row locked)."""
    anonymisation = Anonymisation(
        household_id=household.pk,
        name=household.name,
        phone=household.phone,
        email=household.email,
        reason=reason,
        actor=actor,
        why=_("anonymisation du foyer n° %(n)s (%(reason)s)")
        % {"n": household.pk, "reason": AnonymisationReason(reason).label},
    )
    for source in sources():
        source.anonymise(anonymisation)
    _scrub_admin_log(household, anonymisation)
    HouseholdAnonymisation.objects.create(household=household, reason=reason, by=actor)


def anonymise_household_fields(anonymisation: Anonymisation) -> None:
    """acteurs' own part: the household row keeps only anonymous statistics."""
    Household.objects.filter(pk=anonymisation.household_id).update(
        name=ANONYMOUS_NAME, phone="", email=""
    )


def _scrub_admin_log(household: Household, anonymisation: Anonymisation) -> None:
    """The Django admin's log keeps an object's ``str()`` (a household's name, an enrolment's
    « Mme X – séance ») and a change message: scrub the entries of the household's rows, and
    the household's words wherever else they appear (an inline added under a session)."""
    objects = [Household.objects.filter(pk=household.pk)]
    for source in sources():
        objects.extend(source.objects(household))
    about = Q(pk__in=[])
    for queryset in objects:
        content_type = ContentType.objects.get_for_model(queryset.model)
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]
        if ids:
            about |= Q(content_type=content_type, object_id__in=ids)
    LogEntry.objects.filter(about).update(object_repr=SCRUBBED, change_message="[]")
    for text in anonymisation.strings:
        LogEntry.objects.filter(object_repr__contains=text).update(
            object_repr=Replace("object_repr", Value(text), Value(SCRUBBED))
        )
        LogEntry.objects.filter(change_message__contains=text).update(
            change_message=Replace("change_message", Value(text), Value(SCRUBBED))
        )


def _blocking_reason(household: Household) -> str | None:
    for source in sources():
        if source.blocks_erasure is not None:
            reason = source.blocks_erasure(household)
            if reason:
                return reason
    return None


def household_erase(household_id: int, actor) -> None:
    """Erase a household's personal data on request (RGPD art. 17). The row stays, anonymous,
    for the statistics and the accounting records of sales."""
    with transaction.atomic():
        household = _household_for_data_rights(household_id, actor)
        household = Household.objects.select_for_update().get(pk=household.pk)
        if is_anonymised(household.pk):
            raise anonymised_refusal()
        blocking = _blocking_reason(household)
        if blocking:
            raise Refused(blocking, code="household_in_use")
        _anonymise(household, AnonymisationReason.REQUEST, actor)


def retention_days() -> int:
    return settings.HOUSEHOLD_RETENTION_DAYS


def anonymise_inactive_households(*, now=None, days: int | None = None) -> int:
    """Anonymise households without contact for ``days`` (``HOUSEHOLD_RETENTION_DAYS``, two
    years by default), unless a source still needs them (an open loan or request)."""
    now = now or timezone.now()
    days = retention_days() if days is None else days
    cutoff = now - dt.timedelta(days=days)
    done = HouseholdAnonymisation.objects.filter(household=OuterRef("pk"))
    candidates = Household.objects.filter(last_contact_at__lt=cutoff).exclude(Exists(done))
    for source in sources():
        if source.exclude_blocked is not None:
            candidates = source.exclude_blocked(candidates)
    count = 0
    for pk in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            household = Household.objects.select_for_update().filter(pk=pk).first()
            if household is None or household.last_contact_at >= cutoff:
                continue
            if is_anonymised(pk) or _blocking_reason(household):
                continue
            _anonymise(household, AnonymisationReason.RETENTION, None)
            count += 1
    return count


def run_retention(*, now=None) -> dict[str, int]:
    """The scheduled retention (Celery beat, ``manage.py anonymise_households``): households
    without contact, then each source's own purge. Returns counts by name."""
    counts = {"households": anonymise_inactive_households(now=now)}
    for source in sources():
        if source.purge is not None:
            counts[source.name] = source.purge()
    return counts


def household_anonymise_again(household_id: int, *, reason: str, at, by_id=None) -> bool:
    """Replay an anonymisation recorded outside the database (``exploitation``'s journal)
    after a restore of an older backup: the data were erased once, they go again, whatever is
    open in the restored rows. False when the household is absent or already anonymised."""
    from .models import User

    with transaction.atomic():
        household = Household.objects.select_for_update().filter(pk=household_id).first()
        if household is None or is_anonymised(household_id):
            return False
        actor = User.objects.filter(pk=by_id).first() if by_id else None
        _anonymise(household, reason, actor)
        HouseholdAnonymisation.objects.filter(household_id=household_id).update(at=at)
    return True


# --- acteurs' own source --------------------------------------------------------------------


def _describe_households() -> Description:
    return Description(
        purpose=_(
            "Connaître le foyer accompagné par la structure : le joindre, l'orienter vers un "
            "atelier ou une demande d'équipement, compter les publics aidés (statistiques "
            "anonymes)."
        ),
        legal_basis=_(
            "Mission d'intérêt public (action sociale, inclusion numérique) ou intérêt "
            "légitime de l'association, après information du foyer."
        ),
        retention=_(
            "%(days)s jours (deux ans par défaut) après le dernier contact, puis anonymisation ; "
            "effacement plus tôt à la demande du foyer."
        )
        % {"days": retention_days()},
        recipients=_(
            "Les personnes de la structure référente qui accompagnent le foyer ; l'équipe d'un "
            "atelier où il est inscrit voit son nom ; l'association qui reçoit une demande voit "
            "le foyer de cette demande. Jamais les financeurs ni la coordination."
        ),
        fields=(
            PersonalDataField("acteurs.Household", "name", Category.IDENTITY),
            PersonalDataField("acteurs.Household", "phone", Category.IDENTITY),
            PersonalDataField("acteurs.Household", "email", Category.IDENTITY),
            PersonalDataField(
                "acteurs.Household",
                "commune, size, is_senior, is_young, is_jobseeker, is_single_parent, "
                "receives_social_minimum",
                Category.SITUATION,
                kept=True,
                kept_because=_("statistiques anonymes (sans nom ni coordonnées)"),
            ),
            PersonalDataField(
                "acteurs.Household",
                "consent_version",
                Category.IDENTITY,
                kept=True,
                kept_because=_("preuve de l'information du foyer"),
            ),
            PersonalDataField("admin.LogEntry", "object_repr", Category.TRACE, free_text=True),
            PersonalDataField("admin.LogEntry", "change_message", Category.TRACE, free_text=True),
            PersonalDataField(
                "acteurs.PersonalDataAccess",
                "household, user_label, what, page",
                Category.TRACE,
                kept=True,
                kept_because=_(
                    "journal des accès, sans donnée du foyer (un lien et une adresse de page), "
                    "gardé %(days)s jours"
                )
                % {"days": settings.ACCESS_LOG_RETENTION_DAYS},
            ),
        ),
    )


HOUSEHOLDS = PersonalDataSource(
    name="foyer",
    label=gettext_lazy("Foyers"),
    describe=_describe_households,
    export=export_household_fields,
    anonymise=anonymise_household_fields,
    order=0,
)
