"""A donor's inventory list being imported: the job (file, reading settings, preview, import)
and its staged rows. Moved from ``parc``: the tables keep their names (``db_table``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acteurs.models import Organisation
from parc.models import DeviceKind


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", _("colonnes à préciser")
    ANALYSING = "analysing", _("analyse en cours")
    PREVIEWED = "previewed", _("aperçu prêt")
    IMPORTING = "importing", _("import en cours")
    DONE = "done", _("importé")
    FAILED = "failed", _("échec")


class ImportJob(models.Model):
    """One donor inventory file: its reading settings, its preview, then its import."""

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
    file = models.FileField(_("fichier"), upload_to="intake/%Y/%m/")
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10)
    encoding = models.CharField(_("encodage"), max_length=20, blank=True)
    delimiter = models.CharField(_("séparateur"), max_length=1, blank=True)
    headers = models.JSONField(_("en-têtes"), default=list)
    mapping = models.JSONField(_("correspondance des colonnes"), default=dict)
    default_kind = models.CharField(
        _("type par défaut"), max_length=20, choices=DeviceKind.choices, blank=True
    )
    status = models.CharField(
        _("état"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.MAPPING
    )
    total_rows = models.PositiveIntegerField(_("lignes"), default=0)
    processed_rows = models.PositiveIntegerField(_("lignes traitées"), default=0)
    counts = models.JSONField(_("bilan"), default=dict)
    created_count = models.PositiveIntegerField(_("appareils créés"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    created_at = models.DateTimeField(_("déposé le"), default=timezone.now)
    analysed_at = models.DateTimeField(_("analysé le"), null=True, blank=True)
    imported_at = models.DateTimeField(_("importé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("import de liste d'inventaire")
        verbose_name_plural = _("imports de listes d'inventaire")
        db_table = "parc_importjob"
        ordering = ["-id"]
        indexes = [models.Index(fields=["donation", "-id"], name="importjob_donation_id")]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return (
            100
            if not self.total_rows
            else min(100, round(100 * self.processed_rows / self.total_rows))
        )


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
    messages = models.TextField(_("messages"), blank=True)
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
