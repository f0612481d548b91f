"""The rows the reports own: what each funder funds, the long reports asked for, and each
donation's precomputed device figures (a cache of sums, rebuilt from the other apps' rows;
nothing here is the reference for a device, a loan or a household)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from acteurs.models import Organisation
from core.jobs import BackgroundJob, JobStatus
from dons.models import Gisement


class Funding(models.Model):
    """A funder's support for a refurbishing organisation's whole activity or for one
    gisement: it decides which reports the funder's members may read."""

    funder = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="fundings_given",
        limit_choices_to={"is_funder": True},
        verbose_name=_("financeur"),
    )
    name = models.CharField(
        _("intitulé"),
        max_length=200,
        help_text=_("Par exemple « Appel à projets inclusion numérique 2026 »."),
    )
    refurbisher = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fundings_received",
        limit_choices_to={"is_refurbisher": True},
        verbose_name=_("structure financée"),
        help_text=_("Toute l'activité de cette structure."),
    )
    gisement = models.ForeignKey(
        Gisement,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fundings",
        verbose_name=_("gisement financé"),
    )
    starts_on = models.DateField(_("du"), null=True, blank=True)
    ends_on = models.DateField(_("au"), null=True, blank=True)
    # What was granted for the period (issue 15: the economics dashboard spreads it evenly
    # over its days; without both dates it is not counted).
    amount = models.DecimalField(
        _("montant (€)"), max_digits=11, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("financement")
        verbose_name_plural = _("financements")
        ordering = ["funder__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refurbisher__isnull=False) | models.Q(gisement__isnull=False),
                name="funding_has_a_scope",
                violation_error_message=_(
                    "Un financement porte sur une structure ou sur un gisement."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(starts_on__isnull=True)
                | models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="funding_ends_after_start",
                violation_error_message=_("La fin du financement précède son début."),
            ),
        ]

    def __str__(self):
        return f"{self.funder} — {self.name}"

    def clean(self):
        if self.refurbisher_id is None and self.gisement_id is None:
            raise ValidationError(_("Un financement porte sur une structure ou sur un gisement."))


class ReportSubjectKind(models.TextChoices):
    GISEMENT = "gisement", _("gisement")
    DONATION = "don", _("don")
    DONOR = "donateur", _("donateur")


# The kernel's job states (kept under this name for the callers of this app).
ReportJobStatus = JobStatus


class ReportJob(BackgroundJob):
    """A long report (the PDF with its whole certificate annex) built in the background and
    kept for download by the person who asked for it. ``total``/``done``: annex rows."""

    TASK_NAME = "rapports.build_report_job"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("par")
    )
    subject_kind = models.CharField(
        _("objet du rapport"), max_length=10, choices=ReportSubjectKind.choices
    )
    subject_id = models.PositiveIntegerField(_("identifiant de l'objet"))
    starts_on = models.DateField(_("du"), null=True, blank=True)
    ends_on = models.DateField(_("au"), null=True, blank=True)
    title = models.CharField(_("intitulé"), max_length=300)
    file = models.FileField(_("fichier"), upload_to="rapports/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("rapport en préparation")
        verbose_name_plural = _("rapports en préparation")
        ordering = ["-id"]
        indexes = [models.Index(fields=["requested_by", "-id"], name="reportjob_user_id")]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"


class DonationSummary(models.Model):
    """A donation's device figures that add up across donations (a medium belongs to one
    device, a device to one donation): devices by kind × outcome, media erased/destroyed,
    erasures by level × method × result, failures by follow-up. The gisement report of a big
    subject sums these instead of scanning a million devices (rapports.selectors); written
    only by rapports.services.refresh_donation_summaries."""

    donation = models.OneToOneField(
        "dons.Donation",
        on_delete=models.CASCADE,
        related_name="device_summary",
        verbose_name=_("don"),
    )
    computed_at = models.DateTimeField(_("calculé le"))
    # The last device event when the figures were computed: every change the figures depend
    # on (state, media, erasures) writes a DeviceEvent, so a later event of one of the
    # donation's devices makes the summary stale (rapports.tasks.refresh_stale_summaries).
    last_event_id = models.BigIntegerField(_("dernier événement pris en compte"), default=0)
    figures = models.JSONField(_("chiffres"), default=dict)

    class Meta:
        verbose_name = _("synthèse d'un don")
        verbose_name_plural = _("synthèses des dons")

    def __str__(self):
        return f"{self.donation_id} ({self.computed_at:%d/%m/%Y %H:%M})"


class HouseholdSummary(models.Model):
    """The households equipped by a set of donations (a loan or a sale of one of their
    devices), counted by commune and category: the report's section « Foyers équipés » for a
    big subject, precomputed. Distinct households do not add up across donations (a household
    may have received devices of several), so a row is kept per *set* of donations a report
    is asked for: each big gisement, donor and donation, and each funder's home page (the
    sets are listed by ``rapports.services.household_summary_sets``). The report uses the row
    whose set is exactly its donations, and counts live otherwise.

    Counts only, no household: written only by ``rapports.services``
    (``refresh_household_summaries``), refreshed by Celery beat when a loan or a sale of
    one of its devices was recorded since (ids above ``last_loan_id``/``last_sale_id``), and
    at once when an equipped household's commune or categories are corrected."""

    # sha256 of the sorted donation ids (``rapports.selectors.donation_set_key``).
    key = models.CharField(_("ensemble de dons"), max_length=64, unique=True)
    donation_ids = models.JSONField(_("dons"), default=list)
    computed_at = models.DateTimeField(_("calculé le"))
    # The last loan and sale when the figures were computed: a later one of a device of
    # these donations may equip another household.
    last_loan_id = models.BigIntegerField(_("dernier prêt pris en compte"), default=0)
    last_sale_id = models.BigIntegerField(_("dernière cession prise en compte"), default=0)
    # {"communes": [one row per commune as the live query gives it]}
    figures = models.JSONField(_("chiffres"), default=dict)

    class Meta:
        verbose_name = _("synthèse des foyers équipés")
        verbose_name_plural = _("synthèses des foyers équipés")

    def __str__(self):
        return f"{len(self.donation_ids)} don(s) ({self.computed_at:%d/%m/%Y %H:%M})"


class SharedLink(models.Model):
    """A signed link to a report made by someone (``rapports.sharing``): kept so its author
    finds it again on their home page (copy it, see when it expires). The link itself stays
    valid by its signature alone, and is refused as soon as its author may no longer read
    the report, whatever this row says."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("créé par"),
    )
    subject_kind = models.CharField(
        _("objet du rapport"), max_length=10, choices=ReportSubjectKind.choices
    )
    subject_id = models.PositiveIntegerField(_("identifiant de l'objet"))
    title = models.CharField(_("intitulé"), max_length=300)
    starts_on = models.DateField(_("du"), null=True, blank=True)
    ends_on = models.DateField(_("au"), null=True, blank=True)
    token = models.TextField(_("jeton signé"))
    created_at = models.DateTimeField(_("créé le"))
    expires_at = models.DateTimeField(_("expire le"))

    class Meta:
        verbose_name = _("lien de partage")
        verbose_name_plural = _("liens de partage")
        ordering = ["-id"]
        indexes = [models.Index(fields=["author", "-expires_at"], name="sharedlink_author_expiry")]

    def __str__(self):
        return self.title


class StageWorkDay(models.Model):
    """How many stages of work (``parc.models.WorkStage``: the events register, wipe,
    mark_ready) ended on one day, Paris time, by owner, kind of device and gisement.

    The « Modèle économique » dashboard sums these rows instead of scanning a year of device
    events (half a million at a million devices); the days after the last one rolled up are
    read from the events themselves. A cache of counts rebuilt from ``parc``'s events,
    written only by ``rapports.services.roll_up_stage_work``: the owner, kind and gisement
    are the device's when its day was rolled up (the night after)."""

    day = models.DateField(_("jour"))
    owner = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("structure")
    )
    kind = models.CharField(_("type d'appareil"), max_length=20)
    gisement = models.ForeignKey(
        Gisement,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gisement"),
    )
    stage = models.CharField(_("étape"), max_length=20)
    devices = models.PositiveIntegerField(_("appareils"))

    class Meta:
        verbose_name = _("étapes terminées d'un jour")
        verbose_name_plural = _("étapes terminées par jour")
        indexes = [models.Index(fields=["day", "owner"], name="stageworkday_day_owner")]

    def __str__(self):
        return f"{self.day:%d/%m/%Y} {self.stage} × {self.devices}"
