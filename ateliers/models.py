"""Workshops: types (with the PIX competences they work on), sessions, enrolments and
attendance, autonomy assessments, and repairs in the Open Repair Data Standard.

Rules that span rows (capacity and waiting list, who may enrol whom, attendance only once a
session has started, a repair's device event) live in ``ateliers/services.py``; the database
holds what it can hold alone (one active enrolment per household and session, one level per
domain and assessment, a barrier only at end of life).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acteurs.models import Commune, Household, Organisation
from parc.models import Device

from . import ords, pix


def validate_competences(value) -> None:
    if not isinstance(value, list) or any(code not in pix.COMPETENCE_LABELS for code in value):
        raise ValidationError(
            _("Compétences PIX inconnues : %(codes)s."),
            params={"codes": value},
            code="pix_competences",
        )


class WorkshopKind(models.TextChoices):
    TRAINING = "training", _("formation")
    REPAIR = "repair", _("réparation")


class WorkshopType(models.Model):
    """A kind of workshop offered in the territory (seeded by migration 0002)."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    kind = models.CharField(_("nature"), max_length=10, choices=WorkshopKind.choices)
    description = models.TextField(_("contenu"), blank=True)
    competences = models.JSONField(
        _("compétences PIX travaillées"),
        default=list,
        blank=True,
        validators=[validate_competences],
        help_text=_('Codes du référentiel PIX, par exemple ["1.1", "4.2"].'),
    )
    default_duration_minutes = models.PositiveSmallIntegerField(
        _("durée habituelle (min)"), default=120
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(_("proposé"), default=True)

    class Meta:
        verbose_name = _("type d'atelier")
        verbose_name_plural = _("types d'atelier")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    @property
    def is_repair(self) -> bool:
        return self.kind == WorkshopKind.REPAIR

    def competences_by_domain(self):
        return pix.competences_by_domain(self.competences)


class Session(models.Model):
    """One occurrence of a workshop: a date, a place, a facilitator, a number of seats."""

    workshop_type = models.ForeignKey(
        WorkshopType, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("atelier")
    )
    title = models.CharField(
        _("intitulé"), max_length=150, blank=True, help_text=_("Facultatif : précise le thème.")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="workshop_sessions",
        verbose_name=_("organisation"),
    )
    commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        related_name="workshop_sessions",
        verbose_name=_("commune"),
    )
    address = models.CharField(_("lieu et adresse"), max_length=200)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="facilitated_sessions",
        verbose_name=_("animateur ou animatrice"),
    )
    capacity = models.PositiveSmallIntegerField(_("places"))
    accessibility = models.TextField(
        _("accessibilité"),
        blank=True,
        help_text=_("Accès en fauteuil, boucle magnétique, transports, matériel prêté…"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        verbose_name = _("séance")
        verbose_name_plural = _("séances")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["starts_at", "id"], name="session_starts"),
            models.Index(fields=["organisation", "starts_at"], name="session_org_starts"),
            models.Index(fields=["workshop_type", "starts_at"], name="session_type_starts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=500), name="session_capacity_1_to_500"
            ),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.display_title} – {local:%d/%m/%Y %H:%M}"

    @property
    def display_title(self) -> str:
        return self.title or self.workshop_type.name

    def has_started(self, now=None) -> bool:
        return self.starts_at <= (now or timezone.now())

    def has_ended(self, now=None) -> bool:
        return self.ends_at <= (now or timezone.now())


class EnrolmentStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("inscrit")
    WAITING = "waiting", _("liste d'attente")
    CANCELLED = "cancelled", _("annulé")


class Attendance(models.TextChoices):
    PRESENT = "present", _("présent")
    ABSENT = "absent", _("absent")
    EXCUSED = "excused", _("excusé")


ACTIVE_STATUSES = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITING)


class Enrolment(models.Model):
    """A household's seat (or place in the queue) at a session.

    The waiting list is first come, first served: ordered by ``enrolled_at`` then id.
    """

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("séance")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("foyer")
    )
    status = models.CharField(_("statut"), max_length=10, choices=EnrolmentStatus.choices)
    attendance = models.CharField(
        _("présence"), max_length=10, choices=Attendance.choices, blank=True
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("inscrit par"),
    )
    enrolled_at = models.DateTimeField(_("inscrit le"), default=timezone.now)
    promoted_at = models.DateTimeField(_("sorti de la liste d'attente le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulé par"),
    )
    attendance_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("présence notée par"),
    )
    attendance_at = models.DateTimeField(_("présence notée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["enrolled_at", "id"]
        indexes = [
            models.Index(fields=["session", "status", "enrolled_at"], name="enrolment_queue"),
            models.Index(fields=["household", "attendance"], name="enrolment_household"),
        ]
        constraints = [
            # The same household enrolled twice, even by two people at once: refused here.
            models.UniqueConstraint(
                fields=["session", "household"],
                condition=Q(status__in=["confirmed", "waiting"]),
                name="enrolment_once_per_session",
            ),
            models.CheckConstraint(
                condition=Q(attendance="") | Q(status="confirmed"),
                name="enrolment_attendance_only_confirmed",
            ),
        ]

    def __str__(self):
        return f"{self.household} – {self.session}"


class AssessmentMoment(models.TextChoices):
    BEFORE = "before", _("avant la formation")
    AFTER = "after", _("après la formation")


class Assessment(models.Model):
    """An autonomy assessment of a household's participant: one level per PIX domain."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("foyer")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
        help_text=_("Celle qui a mené l'évaluation."),
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("séance"),
    )
    moment = models.CharField(_("moment"), max_length=10, choices=AssessmentMoment.choices)
    assessed_on = models.DateField(_("date"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    recorded_at = models.DateTimeField(_("enregistrée le"), default=timezone.now)

    class Meta:
        verbose_name = _("évaluation d'autonomie")
        verbose_name_plural = _("évaluations d'autonomie")
        ordering = ["assessed_on", "id"]
        indexes = [
            models.Index(
                fields=["household", "moment", "assessed_on"], name="assessment_household"
            ),
            models.Index(fields=["organisation", "assessed_on"], name="assessment_org_date"),
        ]

    def __str__(self):
        return f"{self.household} – {self.get_moment_display()} ({self.assessed_on:%d/%m/%Y})"


class AssessmentLevel(models.Model):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="levels", verbose_name=_("évaluation")
    )
    domain = models.CharField(_("domaine PIX"), max_length=1, choices=pix.Domain.choices)
    level = models.PositiveSmallIntegerField(_("niveau"), choices=pix.Level.choices)

    class Meta:
        verbose_name = _("niveau par domaine")
        verbose_name_plural = _("niveaux par domaine")
        ordering = ["assessment", "domain"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "domain"], name="assessment_level_once"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=3), name="assessment_level_1_to_3"
            ),
        ]

    def __str__(self):
        return f"{self.domain}: {self.get_level_display()}"


class RepairImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("aperçu, en attente")
    IMPORTED = "imported", _("importé")


def _staged_path(instance, filename: str) -> str:
    # Never the uploaded name in the path: it is the user's text.
    return f"ateliers/ords/{instance.organisation_id}/{timezone.now():%Y%m%d-%H%M%S}-{filename}"


class RepairImport(models.Model):
    """One ORDS file from another repair café: previewed (the file staged, every row checked,
    the rejected rows written apart), then its valid rows imported in one transaction, or
    none of them."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    filename = models.CharField(_("fichier"), max_length=200)
    status = models.CharField(
        _("état"),
        max_length=10,
        choices=RepairImportStatus.choices,
        default=RepairImportStatus.IMPORTED,
    )
    # The preview's valid rows as read (JSON lines), until they are imported (then deleted):
    # what is imported is what the preview showed.
    valid_file = models.FileField(_("lignes valides"), upload_to=_staged_path, blank=True)
    # The rejected rows in the provider's own columns plus « Erreur », kept to be fixed.
    rejected_file = models.FileField(_("lignes rejetées"), upload_to=_staged_path, blank=True)
    encoding = models.CharField(_("encodage"), max_length=20, blank=True)
    delimiter = models.CharField(_("séparateur"), max_length=1, blank=True)
    total_rows = models.PositiveIntegerField(_("lignes lues"), default=0)
    valid_rows = models.PositiveIntegerField(_("lignes valides"), default=0)
    rejected_rows = models.PositiveIntegerField(_("lignes rejetées"), default=0)
    noted_rows = models.PositiveIntegerField(_("lignes lues avec une note"), default=0)
    # What the preview found, bounded: the first errors (line, id, message), the notes
    # grouped by kind (message, count, first lines), the columns left aside.
    report = models.JSONField(_("compte rendu"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("lignes importées"), default=0)
    skipped = models.PositiveIntegerField(_("lignes déjà présentes"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    previewed_at = models.DateTimeField(_("aperçu le"), null=True, blank=True)
    imported_at = models.DateTimeField(_("importé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("import ORDS")
        verbose_name_plural = _("imports ORDS")
        ordering = ["-id"]

    def __str__(self):
        return self.filename

    @property
    def is_previewed(self) -> bool:
        return self.status == RepairImportStatus.PREVIEWED

    @property
    def importable_rows(self) -> int:
        """Valid rows not already held: what « Importer les N lignes valides » adds."""
        return max(0, self.valid_rows - self.skipped)


class Repair(models.Model):
    """One item brought to a repair session, or one imported ORDS record.

    A pool device (``device``) or an outside item (category, brand, year). Local repairs have
    a ``session``; imported ones an ``import_batch`` and the provider's own identifiers.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repairs",
        verbose_name=_("séance"),
    )
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appareil du parc"),
    )
    product_category_id = models.PositiveSmallIntegerField(_("catégorie ORDS"))
    # The ORDS category name as the provider wrote it ("PC Accessory"), exported as is;
    # empty for local repairs (the name of ``product_category_id``).
    product_category_name = models.CharField(
        _("catégorie ORDS (texte d'origine)"), max_length=100, blank=True
    )
    partner_category = models.CharField(_("catégorie d'origine"), max_length=500, blank=True)
    brand = models.CharField(_("marque"), max_length=200, blank=True)
    year_of_manufacture = models.PositiveSmallIntegerField(
        _("année de fabrication"), null=True, blank=True
    )
    product_age = models.DecimalField(
        _("âge du produit (ans)"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    weight_kg = models.DecimalField(
        _("poids (kg)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    problem = models.TextField(_("panne constatée"), blank=True)
    status = models.CharField(_("résultat"), max_length=20, choices=ords.RepairStatus.choices)
    barrier = models.CharField(
        _("obstacle à la réparation"), max_length=40, choices=ords.RepairBarrier.choices, blank=True
    )
    parts_used = models.CharField(_("pièces utilisées"), max_length=300, blank=True)
    minutes_spent = models.PositiveSmallIntegerField(_("temps passé (min)"), null=True, blank=True)
    event_date = models.DateField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("enregistré par"),
    )
    recorded_at = models.DateTimeField(_("enregistré le"), default=timezone.now)
    # Imported records: where they came from, as the provider wrote it.
    import_batch = models.ForeignKey(
        RepairImport,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="repairs",
        verbose_name=_("import"),
    )
    external_id = models.CharField(_("identifiant d'origine"), max_length=200, blank=True)
    data_provider = models.CharField(_("fournisseur des données"), max_length=200, blank=True)
    country = models.CharField(_("pays"), max_length=3, blank=True)
    group_identifier = models.CharField(_("groupe"), max_length=300, blank=True)
    # What the import read differently from the file, one line per value ("« Item too worn
    # out » lu comme « Too worn out »").
    import_note = models.TextField(_("note d'import"), blank=True)

    class Meta:
        verbose_name = _("réparation")
        verbose_name_plural = _("réparations")
        ordering = ["event_date", "id"]
        indexes = [
            models.Index(fields=["session", "id"], name="repair_session"),
            models.Index(fields=["organisation", "event_date"], name="repair_org_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(barrier="") | Q(status="End of life"),
                name="repair_barrier_only_end_of_life",
            ),
            models.CheckConstraint(
                condition=Q(session__isnull=False) | Q(import_batch__isnull=False),
                name="repair_local_or_imported",
            ),
            # Re-importing the same file adds nothing.
            models.UniqueConstraint(
                fields=["organisation", "data_provider", "external_id"],
                condition=Q(import_batch__isnull=False),
                name="repair_imported_once",
            ),
        ]

    def __str__(self):
        return f"{self.category_label} {self.brand} – {self.get_status_display()}".strip()

    @property
    def product_category(self) -> str:
        """The ORDS category name (English, as in the files; the provider's spelling for an
        imported record)."""
        return self.product_category_name or ords.categories().get(self.product_category_id, "")

    @property
    def category_label(self) -> str:
        """The category as users read it (French)."""
        return ords.category_label(self.product_category_id)


# --- sharing a household's autonomy level with another organisation (issue 15) ---------------


class SharingScope(models.TextChoices):
    AUTONOMY_LEVEL = "autonomy_level", _("niveau d'autonomie numérique (dernière évaluation)")


class AutonomySharing(models.Model):
    """The household's consent, recorded by its organisation (a prescriber), that the
    facilitators of another organisation see its latest autonomy level — nothing else — on
    the pages of that organisation's sessions where it is enrolled. Withdrawn: hidden again.
    Rows are kept (who recorded and withdrew what, when): the proof of consent."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("foyer")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation destinataire"),
    )
    scope = models.CharField(
        _("ce qui est partagé"),
        max_length=20,
        choices=SharingScope.choices,
        default=SharingScope.AUTONOMY_LEVEL,
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("accord noté par"),
    )
    granted_at = models.DateTimeField(_("accord noté le"), default=timezone.now)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retrait noté par"),
    )
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)

    class Meta:
        verbose_name = _("partage du niveau d'autonomie")
        verbose_name_plural = _("partages du niveau d'autonomie")
        ordering = ["-granted_at", "-id"]
        indexes = [
            models.Index(
                fields=["organisation", "household"],
                name="autonomy_sharing_active",
                condition=Q(withdrawn_at__isnull=True),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "organisation", "scope"],
                condition=Q(withdrawn_at__isnull=True),
                name="autonomy_sharing_once",
            )
        ]

    def __str__(self):
        return f"{self.household} → {self.organisation}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None
