"""Storage media and their erasure records (NIST SP 800-88 Rev. 1)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MediaType(models.TextChoices):
    HDD = "hdd", _("disque dur (HDD)")
    SSD = "ssd", _("SSD SATA")
    NVME = "nvme", _("SSD NVMe")
    EMMC = "emmc", _("eMMC")
    FLASH = "flash", _("mémoire flash")


class SmartStatus(models.TextChoices):
    """The drive's own verdict (SMART overall health), as read by smartctl."""

    PASSED = "passed", _("bon")
    FAILED = "failed", _("défaillant")


class StorageMedium(models.Model):
    # By name: device.py reads ErasureResult from this module.
    device = models.ForeignKey(
        "parc.Device",
        on_delete=models.PROTECT,
        related_name="storage_media",
        verbose_name=_("appareil"),
    )
    media_type = models.CharField(_("type de support"), max_length=10, choices=MediaType.choices)
    manufacturer = models.CharField(_("fabricant"), max_length=100, blank=True)
    model = models.CharField(_("modèle"), max_length=150, blank=True)
    serial = models.CharField(_("numéro de série"), max_length=100, blank=True)
    capacity_gb = models.PositiveIntegerField(_("capacité (Go)"), null=True, blank=True)
    # db_default: bulk registration inserts media with raw SQL that does not name it.
    smart_status = models.CharField(
        _("état SMART"), max_length=10, choices=SmartStatus.choices, blank=True, db_default=""
    )

    class Meta:
        verbose_name = _("support de stockage")
        verbose_name_plural = _("supports de stockage")
        ordering = ["id"]

    def __str__(self):
        parts = [self.get_media_type_display(), self.manufacturer, self.model]
        label = " ".join(str(p) for p in parts if p)
        if self.serial:
            label += f" (n° {self.serial})"
        return label


class SanitizationLevel(models.TextChoices):
    CLEAR = "clear", _("Clear (effacement logique)")
    PURGE = "purge", _("Purge (effacement renforcé)")
    DESTROY = "destroy", _("Destroy (destruction physique)")


class SanitizationMethod(models.TextChoices):
    OVERWRITE = "overwrite", _("réécriture")
    BLOCK_ERASE = "block_erase", _("effacement par blocs (block erase)")
    CRYPTO_ERASE = "crypto_erase", _("effacement cryptographique")
    FIRMWARE_SECURE_ERASE = "firmware_secure_erase", _("secure erase du micrologiciel")
    FACTORY_RESET = "factory_reset", _("réinitialisation d'usine chiffrée")
    DEGAUSS = "degauss", _("démagnétisation")
    SHRED = "shred", _("broyage")
    DRILL = "drill", _("perçage ou déformation")
    INCINERATE = "incinerate", _("incinération")


class Verification(models.TextChoices):
    NONE = "none", _("aucune")
    SAMPLE = "sample", _("par échantillonnage")
    FULL = "full", _("complète")


class ErasureResult(models.TextChoices):
    ERASED = "erased", _("effacé")
    FAILED = "failed", _("échec")
    ABORTED = "aborted", _("interrompu")


class PostSanitizationDestination(models.TextChoices):
    REUSE = "reuse", _("réemploi dans l'appareil")
    STOCK = "stock", _("stock de pièces")
    RECYCLING = "recycling", _("recyclage")
    DESTROYED = "destroyed", _("détruit")
    RETURNED = "returned", _("rendu au donateur")


class ErasureRecord(models.Model):
    """One sanitization of one storage medium (NIST SP 800-88 Rev. 1, appendix G)."""

    medium = models.ForeignKey(
        StorageMedium,
        on_delete=models.PROTECT,
        related_name="erasures",
        verbose_name=_("support"),
    )
    device_cycle = models.PositiveSmallIntegerField(_("cycle de l'appareil"), editable=False)
    # Copied from the medium so the certificate stays true if the medium's record is edited.
    manufacturer = models.CharField(_("fabricant"), max_length=100, blank=True)
    model = models.CharField(_("modèle"), max_length=150, blank=True)
    serial = models.CharField(_("numéro de série"), max_length=100, blank=True)
    media_type = models.CharField(_("type de support"), max_length=10, choices=MediaType.choices)
    level = models.CharField(
        _("niveau d'assainissement"), max_length=10, choices=SanitizationLevel.choices
    )
    method = models.CharField(_("méthode"), max_length=30, choices=SanitizationMethod.choices)
    tool = models.CharField(_("outil"), max_length=100, help_text=_("ex. nwipe, Blancco"))
    tool_version = models.CharField(_("version de l'outil"), max_length=50, blank=True)
    verification = models.CharField(_("vérification"), max_length=10, choices=Verification.choices)
    result = models.CharField(_("résultat"), max_length=10, choices=ErasureResult.choices)
    started_at = models.DateTimeField(_("début"))
    ended_at = models.DateTimeField(_("fin"))
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opérateur"),
    )
    destination = models.CharField(
        _("destination après effacement"),
        max_length=20,
        choices=PostSanitizationDestination.choices,
        default=PostSanitizationDestination.REUSE,
    )
    report = models.FileField(
        _("rapport de l'outil"), upload_to="erasure-reports/%Y/%m/", blank=True
    )
    # The tool's log as kept evidence (name, checksum): what the certificate cites.
    evidence = models.ForeignKey(
        "parc.EvidenceFile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="erasures",
        verbose_name=_("journal de l'outil"),
    )
    recorded_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("effacement")
        verbose_name_plural = _("effacements")
        ordering = ["-id"]
        indexes = [
            # The failed erasures (a few percent) and what was done with their media, for the
            # gisement report: without it, a scan of every erasure.
            models.Index(
                fields=["medium", "id"],
                name="erasure_failed_medium",
                condition=~Q(result="erased"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gte=models.F("started_at")),
                name="erasure_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.serial or self.medium_id} – {self.get_result_display()}"
