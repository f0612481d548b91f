"""Evidence files: a tool's own output kept for a device (a hardware report, an erasure
log), with its SHA-256 so that a certificate can cite it and anyone can check the copy.

An erasure log is first *staged*: stored at upload with ``staged_until`` set, visible only to
the person who uploaded it, until they confirm the erasures it holds (then ``staged_until`` is
cleared) or it expires (then the file and the row go, see
``parc.evidence.services.staged_evidence_purge``). The log never travels back through the
browser between the two steps.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .device import Device


class EvidenceKind(models.TextChoices):
    HARDWARE_REPORT = "hardware_report", _("rapport matériel")
    ERASURE_LOG = "erasure_log", _("journal d'effacement")


class EvidenceQuerySet(models.QuerySet):
    def kept(self):
        """Confirmed evidence (staged uploads are nobody's evidence yet)."""
        return self.filter(staged_until__isnull=True)


class EvidenceFile(models.Model):
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        related_name="evidence_files",
        verbose_name=_("appareil"),
    )
    kind = models.CharField(_("nature"), max_length=20, choices=EvidenceKind.choices)
    file = models.FileField(_("fichier"), max_length=255, upload_to="evidence/%Y/%m/")
    original_name = models.CharField(_("nom du fichier envoyé"), max_length=255)
    size = models.PositiveBigIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    tool = models.CharField(_("outil"), max_length=30, blank=True)
    tool_version = models.CharField(_("version de l'outil"), max_length=30, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("déposé par"),
    )
    uploaded_at = models.DateTimeField(_("déposé le"), default=timezone.now)
    staged_until = models.DateTimeField(
        _("en attente de confirmation jusqu'au"), null=True, blank=True
    )

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("justificatif")
        verbose_name_plural = _("justificatifs")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["device", "-id"],
                name="evidence_kept_device",
                condition=Q(staged_until__isnull=True),
            ),
            # The purge of expired staged uploads reads only these.
            models.Index(
                fields=["staged_until"],
                name="evidence_staged_until",
                condition=Q(staged_until__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def is_staged(self) -> bool:
        return self.staged_until is not None

    @property
    def content_type(self) -> str:
        return "application/json" if self.original_name.lower().endswith(".json") else "text/plain"
