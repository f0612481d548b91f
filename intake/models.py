"""A donor's inventory list being imported: the job (file, reading settings, preview, import),
its staged rows, and the column mapping remembered per donor. Moved from ``parc``: the tables
keep their names (``db_table``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acteurs.models import Organisation
from core.jobs import BackgroundJob, JobStatus
from parc.models import DeviceKind


class ImportStage(models.TextChoices):
    """Where a file is in the import's workflow; ``status`` (the kernel's job states) says how
    that step's background work goes."""

    MAPPING = "mapping", _("colonnes à préciser")
    PREVIEW = "preview", _("aperçu")
    IMPORT = "import", _("import")


# (stage, status) as the pages name it.
STATE_LABELS = {
    (ImportStage.PREVIEW, JobStatus.PENDING): _("analyse en attente"),
    (ImportStage.PREVIEW, JobStatus.RUNNING): _("analyse en cours"),
    (ImportStage.PREVIEW, JobStatus.DONE): _("aperçu prêt"),
    (ImportStage.PREVIEW, JobStatus.FAILED): _("échec de l'analyse"),
    (ImportStage.IMPORT, JobStatus.PENDING): _("import en attente"),
    (ImportStage.IMPORT, JobStatus.RUNNING): _("import en cours"),
    (ImportStage.IMPORT, JobStatus.DONE): _("importé"),
    (ImportStage.IMPORT, JobStatus.FAILED): _("échec de l'import"),
}


class ImportJob(BackgroundJob):
    """One donor inventory file: its reading settings, its preview, then its import.

    The workflow is ``stage`` (mapping → preview → import); each of the two long steps (the
    preview, the import) runs as a background job of the kernel (``core.jobs``: ``status``,
    ``total``/``done`` of the step, heartbeat, error, restart)."""

    TASK_NAME = "intake.run_import_job_step"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    donation = models.ForeignKey(
        "dons.Donation",
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("don"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("importé par"),
    )
    stage = models.CharField(
        _("étape"), max_length=10, choices=ImportStage.choices, default=ImportStage.MAPPING
    )
    file = models.FileField(_("fichier"), upload_to="intake/%Y/%m/")
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10)
    encoding = models.CharField(_("encodage"), max_length=20, blank=True)
    delimiter = models.CharField(_("séparateur"), max_length=1, blank=True)
    # What the inspection of an XLSX found in its first sheet (last line and columns holding
    # a value, formulas): the reading goes no further.
    sheet_facts = models.JSONField(_("contenu de la feuille"), default=dict, blank=True)
    # The file's line that holds the column titles (1 = the first); rows above it are skipped.
    header_line = models.PositiveIntegerField(_("ligne des en-têtes"), default=1)
    header_certain = models.BooleanField(_("en-têtes reconnus avec certitude"), default=True)
    headers = models.JSONField(_("en-têtes"), default=list)
    mapping = models.JSONField(_("correspondance des colonnes"), default=dict)
    mapping_remembered = models.BooleanField(
        _("correspondance reprise d'un fichier précédent"), default=False
    )
    default_kind = models.CharField(
        _("type par défaut"), max_length=20, choices=DeviceKind.choices, blank=True
    )
    total_rows = models.PositiveIntegerField(_("lignes"), default=0)
    counts = models.JSONField(_("bilan"), default=dict)
    created_count = models.PositiveIntegerField(_("appareils créés"), default=0)
    analysed_at = models.DateTimeField(_("analysé le"), null=True, blank=True)
    imported_at = models.DateTimeField(_("importé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("import de liste d'inventaire")
        verbose_name_plural = _("imports de listes d'inventaire")
        db_table = "parc_importjob"
        ordering = ["-id"]
        indexes = [models.Index(fields=["donation", "-id"], name="importjob_donation_id")]

    def __str__(self):
        return f"{self.original_name} ({self.state_label})"

    @property
    def state_label(self) -> str:
        if self.stage == ImportStage.MAPPING:
            return str(ImportStage.MAPPING.label)
        return str(STATE_LABELS[(self.stage, self.status)])

    @property
    def previewed(self) -> bool:
        return self.stage == ImportStage.PREVIEW and self.status == JobStatus.DONE

    @property
    def imported(self) -> bool:
        return self.stage == ImportStage.IMPORT and self.status == JobStatus.DONE


class ImportOutcome(models.TextChoices):
    NEW = "new", _("à créer")
    EXISTING = "existing", _("déjà enregistré dans ce don (inchangé)")
    ERROR = "error", _("erreur")
    CREATED = "created", _("créé")


class ImportRow(models.Model):
    """One line of an inventory file as the preview read it (staging, not a device)."""

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="rows", verbose_name=_("import")
    )
    line = models.PositiveIntegerField(_("ligne"))
    outcome = models.CharField(_("résultat"), max_length=10, choices=ImportOutcome.choices)
    data = models.JSONField(_("valeurs lues"), default=dict)
    cells = models.JSONField(_("cellules d'origine"), default=list)
    messages = models.TextField(_("erreurs"), blank=True)
    # What the reading noticed without refusing the row (a formula, cells beyond the header,
    # a serial written otherwise, a date read from an Excel serial number).
    notes = models.TextField(_("remarques de lecture"), blank=True)
    match_key = models.CharField(_("clé de rapprochement"), max_length=100, blank=True)
    public_code = models.CharField(_("code prévu"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("ligne importée")
        verbose_name_plural = _("lignes importées")
        db_table = "parc_importrow"
        ordering = ["job", "line"]
        constraints = [
            models.UniqueConstraint(fields=["job", "line"], name="importrow_unique_line")
        ]
        indexes = [
            models.Index(fields=["job", "match_key"], name="importrow_job_key"),
            models.Index(fields=["job", "outcome", "line"], name="importrow_job_outcome"),
        ]

    def __str__(self):
        return f"{self.job_id}:{self.line} {self.outcome}"


class SavedMapping(models.Model):
    """The columns of a donor's last file as the team mapped them, proposed for its next file
    (the corrected rejected rows, next year's list): {normalised header: field or "ignore"}."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    donor = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("donateur")
    )
    columns = models.JSONField(_("colonnes"), default=dict)
    default_kind = models.CharField(
        _("type par défaut"), max_length=20, choices=DeviceKind.choices, blank=True
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("par"),
    )
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now)

    class Meta:
        verbose_name = _("correspondance de colonnes d'un donateur")
        verbose_name_plural = _("correspondances de colonnes des donateurs")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "donor"], name="savedmapping_once_per_donor"
            )
        ]

    def __str__(self):
        return f"{self.donor_id} → {self.organisation_id}"
